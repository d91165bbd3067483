"""Training guards: numeric options are checked before a run starts; a non-finite loss
or non-finite weights stop it with exit 2, naming the epoch, the step and the last good
checkpoint; no checkpoint ever holds a non-finite value."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from segkit.cli import main
from segkit.testing import make_registry
from segkit.train import guards
from segkit.train.trainer import Trainer
from tests.train.conftest import TINY, TINY_SPEC


@pytest.fixture(scope="module")
def registry():
    return make_registry()


def train(registry, out: Path, *args):
    result = CliRunner().invoke(main, ["train", TINY_SPEC, *TINY, "--out", str(out), *map(str, args)],
                                obj={"registry": registry})
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


def assert_finite_checkpoints(out: Path) -> None:
    for path in out.glob("*.pt"):
        tensors = torch.load(path, map_location="cpu", weights_only=False)["state_dict"].values()
        assert all(torch.isfinite(t).all() for t in tensors if t.is_floating_point()), path


@pytest.mark.parametrize("args, message", [
    (["--lr", "nan"], "--lr takes a positive number, got nan"),
    (["--lr", "-1"], "--lr takes a positive number, got -1"),
    (["--lr", "0"], "--lr takes a positive number, got 0"),
    (["--lr", "inf", "--optimizer", "sgd"], "--lr takes a positive number, got inf"),
    (["--weight-decay", "nan"], "--weight-decay takes a number >= 0, got nan"),
    (["--weight-decay", "-0.1"], "--weight-decay takes a number >= 0, got -0.1"),
    (["--aux-weight", "inf"], "--aux-weight takes a number >= 0, got inf"),
])
def test_numeric_options_out_of_range_stop_before_training(registry, tmp_path, args, message):
    result = train(registry, tmp_path / "run", "--epochs", "1", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "epoch 1/" not in result.output and not (tmp_path / "run").exists()


def test_a_huge_learning_rate_stops_before_saving_non_finite_weights(registry, tmp_path):
    out = tmp_path / "run"
    result = train(registry, out, "--epochs", "2", "--optimizer", "sgd", "--lr", "1e8", "--warmup-iters", "0")
    assert result.exit_code == 2, result.output
    assert "error: training diverged: the" in result.output
    assert "at epoch 1, step 2 of 2" in result.output
    assert_finite_checkpoints(out)


def test_a_nan_loss_names_the_step_and_the_last_good_checkpoint(registry, tmp_path, monkeypatch):
    real_loss = Trainer._loss

    class NanFromEpoch2(torch.nn.Module):
        def __init__(self, trainer):
            super().__init__()
            self.trainer, self.criterion = trainer, real_loss(trainer)

        def forward(self, out, masks):
            value = self.criterion(out, masks)
            return value * float("nan") if self.trainer.epoch == 1 else value

    monkeypatch.setattr(Trainer, "_loss", lambda trainer: NanFromEpoch2(trainer))
    out = tmp_path / "run"
    result = train(registry, out, "--epochs", "3")
    assert result.exit_code == 2, result.output
    last = out / "last.pt"
    assert (f"training diverged: the loss became nan at epoch 2, step 1 of 2; the last good checkpoint is {last} "
            "(after epoch 1)") in " ".join(result.output.split())
    assert f"--resume {last}" in result.output
    assert torch.load(last, map_location="cpu", weights_only=False)["epoch"] == 1
    assert_finite_checkpoints(out)


def test_weights_are_checked_before_every_save(registry, tmp_path, monkeypatch):
    real_step = Trainer.step

    def poisoned_at_the_end_of_epoch_2(self, images, masks):
        loss = real_step(self, images, masks)
        if self.epoch == 1 and self.epoch_step == self.iters_per_epoch:
            with torch.no_grad():
                next(self.model.parameters()).view(-1)[0] = float("inf")
        return loss

    monkeypatch.setattr(Trainer, "step", poisoned_at_the_end_of_epoch_2)
    out = tmp_path / "run"
    result = train(registry, out, "--epochs", "3")
    assert result.exit_code == 2, result.output
    assert "the weights became non-finite at epoch 2, step 2 of 2" in result.output
    assert torch.load(out / "last.pt", map_location="cpu", weights_only=False)["epoch"] == 1
    assert_finite_checkpoints(out)


def test_the_message_without_a_checkpoint():
    error = guards.diverged("the loss became inf", 1, 3, 10, None)
    assert error.format() == ("--lr: error: training diverged: the loss became inf at epoch 1, step 3 of 10; "
                              "no checkpoint was saved before it\n  hint: lower --lr (or disable --amp) and train again")

"""`segkit train` options: --optimizer sgd, --eval-every, --class-weights (also with a
plugin's loss), and the TensorBoard log written by the real SummaryWriter."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from click.testing import CliRunner

from segkit.cli import main
from segkit.data.synthetic import SyntheticShapes
from segkit.errors import InputError
from segkit.plugins.hookspecs import hookimpl
from segkit.testing import make_registry
from segkit.train import state
from segkit.train.logs import read_metrics
from segkit.train.trainer import TrainConfig, Trainer
from tests.train.conftest import TINY, TINY_SPEC


def train(*args):
    return CliRunner().invoke(main, ["train", TINY_SPEC, *TINY, *map(str, args)])


def test_sgd_trains_one_epoch_with_momentum(tmp_path):
    result = train("--optimizer", "sgd", "--epochs", "1", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "sgd lr 0.05" in result.output  # the documented default learning rate
    checkpoint = state.load(tmp_path / "last.pt")
    assert checkpoint["config"]["optimizer"] == "sgd"
    groups = checkpoint["optimizer"]["param_groups"]
    assert [g["momentum"] for g in groups] == [0.9, 0.9]
    assert [g["weight_decay"] for g in groups] == [1e-4, 0.0]  # no decay on norms and biases
    buffers = [s["momentum_buffer"] for s in checkpoint["optimizer"]["state"].values()]
    assert buffers and all(torch.isfinite(b).all() and b.abs().sum() > 0 for b in buffers)
    assert read_metrics(tmp_path / "metrics.csv")[-1]["val_miou"] is not None


def test_eval_every_skips_validation_between(tmp_path):
    result = train("--epochs", "3", "--eval-every", "2", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    rows = read_metrics(tmp_path / "metrics.csv")
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    validated = [r["val_miou"] is not None for r in rows]
    assert validated == [False, True, True]  # every 2nd epoch, and after the last
    assert all(r["val_pixel_acc"] is None and r["val_fw_iou"] is None for r in rows[:1])
    assert result.output.count("val mIoU") == 3  # epochs 2 and 3, and the closing "done" line


def test_class_weights_reach_the_loss_and_the_checkpoint(tmp_path):
    weights = [0.5, 1, 2, 3, 4]
    assert len(weights) == SyntheticShapes.num_classes
    result = train("--epochs", "1", "--class-weights", ",".join(map(str, weights)), "--out", tmp_path)
    assert result.exit_code == 0, result.output
    config = state.load(tmp_path / "last.pt")["config"]
    assert config["class_weights"] == [float(w) for w in weights]

    trainer = Trainer(TrainConfig.from_dict(config))
    trainer.setup()
    assert trainer.criterion.criterion.class_weights.tolist() == [float(w) for w in weights]


@pytest.mark.parametrize("value,message", [
    ("1,2", "--class-weights: error: --class-weights gives 2 weights but dataset synthetic has 5 classes"),
    ("1,x,1,1,1", "--class-weights: error: --class-weights takes one non-negative number per class"),
    ("1,-1,1,1,1", "--class-weights: error: --class-weights takes one non-negative number per class"),
    ("0,0,0,0,0", "--class-weights: error: --class-weights takes one non-negative number per class"),
])
def test_bad_class_weights_exit_2_before_training(tmp_path, value, message):
    result = train("--epochs", "1", "--class-weights", value, "--out", tmp_path)
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output and "epoch 1/" not in result.output
    assert not (tmp_path / "last.pt").exists()


def test_class_weights_need_a_cross_entropy_term(tmp_path):
    result = train("--epochs", "1", "--loss", "dice", "--class-weights", "1,1,1,1,1", "--out", tmp_path)
    assert result.exit_code == 2, result.output
    assert "--class-weights: error: class weights apply to the cross-entropy term" in result.output


def trainer_with_loss(monkeypatch, tmp_path, factory) -> Trainer:
    """A Trainer whose --loss custom is ``factory`` (a plugin's loss), with 2 class weights."""
    hooks = SimpleNamespace(segkit_register_losses=hookimpl(lambda register: register(factory, name="custom")))
    registry = make_registry(("test-losses", hooks))
    trainer = Trainer(TrainConfig(TINY_SPEC, loss="custom", class_weights=[1.0, 2.0], device="cpu",
                                  out=str(tmp_path)), registry=registry)
    trainer.meta = {"name": "two", "num_classes": 2, "class_names": ["a", "b"], "ignore_index": 255}
    return trainer


def test_a_plugin_loss_without_class_weights_is_a_user_error(monkeypatch, tmp_path):
    def plain(ignore_index, aux_weight):
        return torch.nn.CrossEntropyLoss(ignore_index=ignore_index)

    with pytest.raises(InputError, match="loss 'custom' does not take class weights"):
        trainer_with_loss(monkeypatch, tmp_path, plain)._loss()


def test_a_type_error_inside_a_loss_factory_is_not_blamed_on_class_weights(monkeypatch, tmp_path):
    def broken(ignore_index, aux_weight, class_weights):
        return torch.tensor(class_weights) + "a bug"

    with pytest.raises(TypeError, match="unsupported operand"):
        trainer_with_loss(monkeypatch, tmp_path, broken)._loss()
    weighted = trainer_with_loss(monkeypatch, tmp_path, lambda **options: options)._loss()
    assert weighted["class_weights"] == [1.0, 2.0]


def test_tensorboard_events_hold_the_epoch_metrics(trained):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(trained.parent / "tensorboard"))
    events.Reload()
    row = read_metrics(trained.parent / "metrics.csv")[-1]
    for key in ("train_loss", "val_miou", "val_pixel_acc", "val_fw_iou"):
        (scalar,) = events.Scalars(f"epoch/{key}")
        assert scalar.step == 1 and scalar.value == pytest.approx(row[key], rel=1e-6), key

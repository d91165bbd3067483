"""--amp (bfloat16 autocast on CPU, float16 with a GradScaler on CUDA), --channels-last
and --compile act on CPU too, for train and eval."""
from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner

from segkit.cli import main
from segkit.train.trainer import TrainConfig, Trainer
from tests.train.conftest import TINY_SPEC


def tiny_trainer(tmp_path, **flags) -> Trainer:
    config = TrainConfig(spec=TINY_SPEC, sets={"width": 4}, data_options={"size": "32", "length": "16"},
                         batch_size=8, epochs=1, warmup_iters=2, out=str(tmp_path), device="cpu", **flags)
    trainer = Trainer(config)
    trainer.setup()
    return trainer


def one_step(trainer: Trainer) -> torch.Tensor:
    images, masks = next(iter(trainer.loader))
    if trainer.channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.ddp.train()
    loss = trainer.step(images, masks)
    assert torch.isfinite(loss)
    assert any(not torch.equal(a, p) for a, p in zip(before, trainer.model.parameters()))
    return loss


def test_amp_on_cpu_autocasts_to_bfloat16_without_a_scaler(tmp_path):
    trainer = tiny_trainer(tmp_path, amp=True)
    assert trainer.amp and trainer.amp_dtype == torch.bfloat16 and not trainer.scaler.is_enabled()
    seen = []
    hook = next(m for m in trainer.model.modules() if isinstance(m, torch.nn.Conv2d)).register_forward_hook(
        lambda module, args, out: seen.append(out.dtype))
    one_step(trainer)
    hook.remove()
    assert seen == [torch.bfloat16]
    assert all(p.dtype == torch.float32 for p in trainer.model.parameters())  # master weights stay float32


def test_channels_last_on_cpu(tmp_path):
    trainer = tiny_trainer(tmp_path, channels_last=True)
    conv = next(m for m in trainer.model.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    one_step(trainer)


@pytest.mark.slow  # torch.compile of forward and backward takes a minute on two busy cores
def test_compile_trains_and_validates(tmp_path):
    trainer = tiny_trainer(tmp_path, compile=True)
    assert trainer.step_model is not trainer.ddp
    one_step(trainer)


def test_eval_takes_the_speed_options(trained):
    args = ["eval", TINY_SPEC, "--weights", str(trained), "--set", "width=4", "--data", "synthetic",
            "--data-opt", "size=32", "--data-opt", "length=8"]
    plain = CliRunner().invoke(main, args)
    fast = CliRunner().invoke(main, [*args, "--amp", "--channels-last"])
    assert plain.exit_code == 0 and fast.exit_code == 0, fast.output
    assert "mIoU" in fast.output


def test_train_help_no_longer_calls_them_cuda_only():
    text = CliRunner().invoke(main, ["train", "--help"]).output
    assert "--compile" in text and "bfloat16" in text and "no-op" not in text

"""Checkpoints survive SIGKILL, and a resumed run ends bit-exactly where an uninterrupted
run ends (CPU, --deterministic)."""
from __future__ import annotations

import pytest
import torch

from segkit.train import state
from tests.train.conftest import TINY, TINY_SPEC, run_until_flag, segkit, sigkill


def test_sigkill_during_checkpoint_save_keeps_the_previous_checkpoint(tmp_path):
    out = tmp_path / "run"
    # the runner writes half of epoch 2's checkpoint into the temp file, then waits
    proc = run_until_flag("slow-save:2", tmp_path / "flag",
                          ["train", TINY_SPEC, *TINY, "--epochs", "3", "--out", out])
    sigkill(proc)

    partial = list(out.glob(".last.pt.*.tmp"))
    assert len(partial) == 1 and partial[0].stat().st_size > 0
    with pytest.raises(Exception):
        torch.load(partial[0], weights_only=True)
    checkpoint = state.load(out / "last.pt")  # the previous one, intact
    assert checkpoint["epoch"] == 1 and checkpoint["iteration"] == 2
    assert set(checkpoint) >= {"state_dict", "optimizer", "scheduler", "rng", "fingerprint", "config"}

    # it resumes; the stale temp file is cleaned up
    result = segkit("train", TINY_SPEC, "--resume", "--out", out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "resumed from" in result.stdout and "removed" in result.stdout
    assert not list(out.glob(".last.pt.*.tmp"))
    assert state.load(out / "last.pt")["epoch"] == 3


def test_resume_after_sigkill_reaches_the_same_weights_bit_exactly(tmp_path):
    common = [*TINY, "--epochs", "3", "--seed", "7", "--deterministic", "--workers", "1"]
    reference = segkit("train", TINY_SPEC, *common, "--out", tmp_path / "ref")
    assert reference.returncode == 0, reference.stdout + reference.stderr

    run = tmp_path / "run"
    proc = run_until_flag("hang-epoch:3", tmp_path / "flag", ["train", TINY_SPEC, *common, "--out", run])
    sigkill(proc)  # mid-epoch 3: the last checkpoint is epoch 2's
    assert state.load(run / "last.pt")["epoch"] == 2
    resumed = segkit("train", TINY_SPEC, "--resume", "--out", run)  # settings come from the checkpoint
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resumed from" in resumed.stdout

    a, b = state.load(tmp_path / "ref" / "last.pt"), state.load(run / "last.pt")
    assert a["epoch"] == b["epoch"] == 3 and a["iteration"] == b["iteration"]
    assert a["state_dict"].keys() == b["state_dict"].keys()
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key
    for group_a, group_b in zip(a["optimizer"]["state"].values(), b["optimizer"]["state"].values()):
        for key in group_a:
            assert torch.equal(torch.as_tensor(group_a[key]), torch.as_tensor(group_b[key])), key
    assert a["scheduler"] == b["scheduler"]
    metrics = ("epoch", "iteration", "lr", "train_loss", "val_miou", "val_pixel_acc", "val_fw_iou")
    assert [{k: r.get(k) for k in metrics} for r in a["history"]] == \
           [{k: r.get(k) for k in metrics} for r in b["history"]]

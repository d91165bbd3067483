"""Two CPU processes under torchrun (gloo) give the metrics one process gives.

What is compared, exactly: a 2-process DDP run trains the tiny U-Net for one epoch
(the global batch of 8 split 4 + 4) and validates at the end, each process on half of
the validation set (rank r takes samples r, r + 2, ...; no sample is duplicated) with
the confusion matrices summed by all_reduce. Rank 0's checkpoint is then evaluated by
`segkit eval` in a single process on the whole validation set. Every rank evaluates
rank 0's weights and BN statistics (buffers are broadcast before validation), so the
mIoU, pixel accuracy and fwIoU must be identical, not just close.
"""
from __future__ import annotations

import json
import subprocess
import sys

from segkit.train.logs import read_metrics
from tests.train.conftest import ROOT, TINY, TINY_SPEC, env, segkit


def test_two_process_ddp_metrics_equal_single_process_eval(tmp_path):
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "segkit", "train", TINY_SPEC, *TINY, "--epochs", "1", "--out", str(out)]
    result = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "over 2 processes" in result.stdout
    assert result.stdout.count("epoch 1/1") == 1  # only rank 0 prints
    row = read_metrics(out / "metrics.csv")[-1]

    report = tmp_path / "eval.json"
    single = segkit("eval", TINY_SPEC, "--weights", out / "last.pt", "--data", "synthetic", "--data-opt", "size=32",
                    "--data-opt", "length=16", "--batch-size", "4", "--json", report)
    assert single.returncode == 0, single.stdout + single.stderr
    metrics = json.loads(report.read_text())
    assert metrics["processes"] == 1 and metrics["images"] == 16
    assert metrics["miou"] == row["val_miou"]
    assert metrics["pixel_accuracy"] == row["val_pixel_acc"]
    assert metrics["fw_iou"] == row["val_fw_iou"]

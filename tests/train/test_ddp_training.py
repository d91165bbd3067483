"""Two torchrun processes (gloo, CPU) train to the weights one process reaches with the
same global batch and seed: DDP's gradient averaging is what makes them equal.

Why they can be equal: the DistributedSampler gives rank r the samples r, r + 2, ... of
the one permutation a single process walks, so each global batch is the same set of
samples; augmentation depends on (seed, epoch, sample) only; the model starts from the
same seed. The spec has no BatchNorm (per-process batch statistics would differ), the
crop (16 of images scaled to at least 24) never pads, so every process averages its
loss over the same number of pixels and the mean of the per-process gradients that DDP
all-reduces is the gradient of the global batch's loss. SGD keeps the update linear in
the gradient, so only float rounding separates the two runs: measured, the weights
differ by at most 1.5e-8 after 4 steps, where a run on 4 instead of 8 samples per
batch (what one process would see without the averaging) differs by 8e-4 to 3e-3.
"""
from __future__ import annotations

import subprocess
import sys

import torch

from segkit.train import state
from segkit.train.logs import read_metrics
from tests.train.conftest import ROOT, env, segkit

SPEC = """\
segkit: 1
name: tiny-no-bn
description: two convs and a 1x1 classifier, no normalisation layer
params: {num_classes: 5, in_channels: 3}
inputs:
  image: "${in_channels}"
nodes:
  c1: {block: conv, from: image, out: 8}
  a1: {block: act}
  c2: {block: conv, out: 8, stride: 2}
  a2: {block: act}
  head: {block: conv, out: "${num_classes}", kernel: 1}
  up: {block: resize, like: image}
outputs:
  out: up
"""
COMMON = ["--data", "synthetic", "--data-opt", "size=32", "--data-opt", "length=16", "--batch-size", "8",
          "--crop", "16", "--optimizer", "sgd", "--warmup-iters", "2", "--epochs", "2", "--seed", "3"]


def test_two_process_training_reaches_the_single_process_weights(tmp_path):
    spec = tmp_path / "tiny_no_bn.yaml"
    spec.write_text(SPEC)
    single = segkit("train", spec, *COMMON, "--out", tmp_path / "single")
    assert single.returncode == 0, single.stdout + single.stderr
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "segkit", "train", str(spec), *COMMON, "--out", str(tmp_path / "ddp")]
    ddp = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=180)
    assert ddp.returncode == 0, ddp.stdout + ddp.stderr
    assert "batch 8 over 2 processes" in ddp.stdout

    one, two = state.load(tmp_path / "single" / "last.pt"), state.load(tmp_path / "ddp" / "last.pt")
    assert one["iteration"] == two["iteration"] == 4 and two["world_size"] == 2
    for key, value in one["state_dict"].items():
        torch.testing.assert_close(two["state_dict"][key], value, rtol=1e-5, atol=1e-6, msg=key)
    rows_one, rows_two = read_metrics(tmp_path / "single" / "metrics.csv"), read_metrics(tmp_path / "ddp" / "metrics.csv")
    for a, b in zip(rows_one, rows_two, strict=True):
        assert abs(a["train_loss"] - b["train_loss"]) <= 1e-5 * abs(a["train_loss"])
        assert abs(a["val_miou"] - b["val_miou"]) <= 1e-3

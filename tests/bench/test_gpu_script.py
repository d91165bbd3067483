"""benchmarks/gpu.sh: without CUDA it says so and exits 0; its one markdown table is
assembled from the outputs of its three parts (gpu_table.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from gpu_table import HEADER, table

TESTS = "...s\n4 passed, 1 skipped in 12.34s\ntests: exit 0\n"
BENCH = ("fcn_resnet50 ...\n\n| case | pass | input | spec ms | reference ms | spec / reference | quartiles |\n"
         "|---|---|---|---:|---:|---:|---|\n| fcn_resnet50 | forward | 3x256x256 | 5.0 | 5.1 | 0.980 | [0.97, 0.99] |\n"
         "bench: exit 0\n")
TRAIN = ("unet_small.yaml: batch 8, crop 64x64, cuda, torch 2, 16 threads; 5 rounds x 5 steps\n"
         "Trainer.step 10.0 ms, hand-written 9.9 ms: ratio 1.010 (quartiles 1.000-1.020; target <= 1.03)\n"
         "data: 1.0 ms per batch at --workers 0 (10.0% of a step)\n"
         "--amp: 5.0 ms vs 10.0 ms plain: ratio 0.500 (quartiles 0.490-0.510)\n"
         "eval --amp: 2.0 ms vs 4.0 ms plain: ratio 0.500 (quartiles 0.490-0.510)\ntrain: exit 0\n")


def test_without_cuda_it_says_so_and_exits_0():
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", PYTHON=sys.executable)
    result = subprocess.run(["bash", str(ROOT / "benchmarks/gpu.sh")], env=env, capture_output=True, text=True, check=False,
                            timeout=120)
    assert result.returncode == 0 and "no CUDA device" in result.stdout


def test_one_table_from_the_three_parts():
    rows = table(TESTS, BENCH, TRAIN)
    assert rows[:2] == HEADER and all(row.startswith("| ") and row.endswith("|") for row in rows[2:])
    assert "| 4 passed, 1 skipped |" in rows[2]
    assert rows[3].startswith("| fcn_resnet50 | forward")
    assert "| 10.0 | 9.9 | 1.010 | 1.000-1.020 |" in rows[4]
    assert "Trainer --amp (200.0 steps/s) vs plain (100.0 steps/s)" in rows[5]
    assert "eval --amp (500.0 batches/s) vs plain (250.0 batches/s) | eval |" in rows[6]


def test_a_part_that_failed_shows_its_last_line():
    rows = table("Timeout\ntests: exit 124\n", "Traceback\nRuntimeError: boom\nbench: exit 1\n", "")
    assert "| Timeout |" in rows[2] and "RuntimeError: boom" in rows[3] and "no output" in rows[4]

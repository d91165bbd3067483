"""Helpers of the training tests: a tiny U-Net on tiny synthetic data (a run of a few
epochs takes seconds), and subprocess runs of the CLI with faults injected."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("_runner.py")

# unet_small at width 4 (122k parameters) on 16 synthetic 32x32 images: 2 steps per epoch
TINY_SPEC = "specs/unet_small.yaml"
TINY = ["--set", "width=4", "--data", "synthetic", "--data-opt", "size=32", "--data-opt", "length=16",
        "--batch-size", "8", "--warmup-iters", "2"]


def env(**extra) -> dict:
    out = dict(os.environ)
    out.setdefault("OMP_NUM_THREADS", "1")  # several processes share two cores
    out["PYTHONUNBUFFERED"] = "1"
    out.update(extra)
    return out


def segkit(*args, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """``segkit ARGS`` in a subprocess (cwd: the repo root)."""
    return subprocess.run([sys.executable, "-m", "segkit", *map(str, args)], cwd=ROOT, env=env(),
                          capture_output=True, text=True, timeout=timeout, **kwargs)


def run_until_flag(mode: str, flag: Path, args, timeout: float = 120) -> subprocess.Popen:
    """Start the fault-injecting runner; return once it has created ``flag`` (it then
    sleeps, waiting to be killed)."""
    proc = subprocess.Popen([sys.executable, str(RUNNER), mode, str(flag), *map(str, args)], cwd=ROOT, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + timeout
    while not flag.exists():
        if proc.poll() is not None:
            raise AssertionError(f"runner exited ({proc.returncode}) before {mode}:\n{proc.stdout.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"runner never reached {mode}")
        time.sleep(0.05)
    return proc


def sigkill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture(autouse=True)
def one_thread():
    """In-process training of tiny models: one intra-op thread is faster than two
    threads fighting over two busy cores (and the same as the subprocesses use)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Path:
    """A checkpoint of the tiny U-Net after one epoch (in-process, so it is quick)."""
    import torch
    from click.testing import CliRunner

    from segkit.cli import main

    out = tmp_path_factory.mktemp("trained")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    result = CliRunner().invoke(main, ["train", TINY_SPEC, *TINY, "--epochs", "1", "--out", str(out)])
    torch.set_num_threads(before)
    assert result.exit_code == 0, result.output
    return out / "last.pt"

"""Failure paths of train/eval/predict: the file system refusing a write (exit 2 naming
the path and the cause), Ctrl-C during a checkpoint save (the save completes, then
"interrupted", exit 130), strict JSON from ``eval --json``, and ``--resume`` with no
checkpoint yet."""
from __future__ import annotations

import json
import os
import resource
import signal
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from segkit.cli import main
from segkit.testing import make_registry
from segkit.views import strict_json
from segkit.weights.checkpoint import atomic_torch_save
from tests.train.conftest import TINY, TINY_SPEC

DATA = TINY[2:8]  # --data synthetic with its options (without --set width=4, --batch-size, --warmup-iters)
HINT = "hint: check that the path exists, is writable and has space"


@pytest.fixture(scope="module")
def registry():
    return make_registry()


def run(registry, *args):
    result = CliRunner().invoke(main, [str(a) for a in args], obj={"registry": registry})
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


@pytest.fixture
def a_file(tmp_path) -> Path:
    """A plain file, so that ``a_file / "x"`` can be neither read nor written."""
    path = tmp_path / "plain"
    path.write_text("not a folder\n")
    return path


def test_train_out_that_cannot_be_created(registry, a_file):
    out = a_file / "run"
    result = run(registry, "train", TINY_SPEC, *TINY, "--epochs", "1", "--out", out)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"{out}: error: Not a directory") and HINT in result.output


def test_eval_json_that_cannot_be_written(registry, trained, a_file):
    path = a_file / "metrics.json"
    result = run(registry, "eval", TINY_SPEC, "--set", "width=4", "--weights", trained, *DATA, "--json", path)
    assert result.exit_code == 2, result.output
    assert f"{path}: error: Not a directory" in result.output and HINT in result.output


def test_predict_out_that_cannot_be_created(registry, trained, tmp_path, a_file):
    images = tmp_path / "images"
    images.mkdir()
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(images / "a.png")
    out = a_file / "predictions"
    result = run(registry, "predict", TINY_SPEC, images, "--set", "width=4", "--weights", trained, "--out", out)
    assert result.exit_code == 2, result.output
    assert f"{out}: error: Not a directory" in result.output and HINT in result.output


def test_eval_json_is_strict_with_null_for_nan(registry, trained, tmp_path):
    path = tmp_path / "metrics.json"
    result = run(registry, "eval", TINY_SPEC, "--set", "width=4", "--weights", trained, *DATA,
                 "--data-opt", "length=1", "--json", path)  # one image: some classes have no pixels
    assert result.exit_code == 0, result.output

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    payload = json.loads(path.read_text(), parse_constant=refuse)
    ious = [row["iou"] for row in payload["classes"]]
    assert None in ious and all(v is None or isinstance(v, float) for v in ious), ious


def test_strict_json_writes_null_for_every_non_finite_number():
    text = strict_json.dumps({"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5, np.float32(2)],
                              "c": (1, True, None, "x"), "d": torch.tensor(float("nan")).item()}, indent=None)
    assert text == '{"a": null, "b": [null, null, 1.5, 2.0], "c": [1, true, null, "x"], "d": null}'


def test_a_full_disk_is_an_os_error_naming_the_checkpoint(tmp_path):
    path = tmp_path / "last.pt"
    previous_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(OSError) as info:
            atomic_torch_save({"state_dict": {"w": torch.ones(100_000)}}, path)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous_handler)
    assert info.value.filename == str(path) and info.value.strerror
    assert not path.exists() and not list(tmp_path.iterdir())  # no partial file left behind


class _CtrlC:
    """Pickled inside torch.save: sends this process SIGINT in the middle of the save."""

    def __reduce__(self):
        os.kill(os.getpid(), signal.SIGINT)
        return (list, ([1, 2],))


def test_ctrl_c_during_a_save_waits_for_the_save_to_complete(tmp_path):
    path = tmp_path / "last.pt"
    with pytest.raises(KeyboardInterrupt):
        atomic_torch_save({"epoch": 3, "state_dict": {"w": torch.ones(10)}, "extra": _CtrlC()}, path)
    saved = torch.load(path, weights_only=False)
    assert saved["epoch"] == 3 and saved["extra"] == [1, 2]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_during_a_save_exits_130_with_the_checkpoint_intact(registry, tmp_path, monkeypatch):
    import segkit.train.trainer as trainer_module

    real_save = trainer_module.state.save

    def save_with_ctrl_c(obj, path):
        obj = {**obj, "interrupt": _CtrlC()} if Path(path).name == "last.pt" else obj
        return real_save(obj, path)

    monkeypatch.setattr(trainer_module.state, "save", save_with_ctrl_c)
    out = tmp_path / "run"
    result = run(registry, "train", TINY_SPEC, *TINY, "--epochs", "2", "--out", out)
    assert result.exit_code == 130 and result.output.rstrip().endswith("interrupted"), result.output
    assert torch.load(out / "last.pt", weights_only=False)["epoch"] == 1


def test_resume_without_a_checkpoint_starts_fresh_and_says_so(registry, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / ".last.pt.abc.tmp").write_bytes(b"half a checkpoint")  # the first save was killed
    result = run(registry, "train", TINY_SPEC, *TINY, "--epochs", "1", "--out", out, "--resume")
    assert result.exit_code == 0, result.output
    assert f"--resume: no checkpoint at {out / 'last.pt'} yet; starting a fresh run there" in result.output
    assert torch.load(out / "last.pt", weights_only=False)["epoch"] == 1


def test_resume_from_a_named_checkpoint_that_does_not_exist_is_an_error(registry, tmp_path):
    missing = tmp_path / "nope.pt"
    result = run(registry, "train", TINY_SPEC, *TINY, "--epochs", "1", "--resume", missing)
    assert result.exit_code == 2 and str(missing) in result.output, result.output

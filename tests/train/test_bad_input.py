"""Bad input stops `segkit train/eval` before any training: a message naming the bad
file, exit status 2, no traceback."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from segkit.cli import main
from tests.train.conftest import TINY, TINY_SPEC


def folder_dataset(root: Path, n: int = 2, size=(32, 32), classes=3) -> Path:
    """images/{train,val}/i.png + masks/{train,val}/i.png with labels < classes."""
    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "masks" / split).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(root / "images" / split / f"{i}.png")
            Image.fromarray(rng.integers(0, classes, size, dtype=np.uint8), mode="L").save(root / "masks" / split / f"{i}.png")
    (root / "classes.txt").write_text("\n".join(f"c{k}" for k in range(classes)) + "\n")
    return root


def run(args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_user_error(result, *names, out: Path | None = None):
    text = result.output
    assert result.exit_code == 2, text
    assert "error:" in text and "Traceback" not in text, text
    for name in names:
        assert str(name) in text, text
    assert "epoch 1/" not in text, "training started"
    if out is not None:
        assert not (out / "last.pt").exists()


def train_folder(root: Path, out: Path):
    return run(["train", TINY_SPEC, "--set", "width=4", "--data", f"folder:{root}", "--batch-size", "2",
                "--crop", "32x32", "--epochs", "1", "--out", out])


def test_folder_dataset_trains(tmp_path):
    root = folder_dataset(tmp_path / "data")
    result = train_folder(root, tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "last.pt").exists()


def test_dataset_path_that_does_not_exist(tmp_path):
    missing = tmp_path / "no" / "such" / "dataset"
    assert_user_error(train_folder(missing, tmp_path / "run"), missing, out=tmp_path / "run")


def test_mask_labels_outside_the_class_range(tmp_path):
    root = folder_dataset(tmp_path / "data")
    bad = root / "masks" / "train" / "1.png"
    labels = np.zeros((32, 32), dtype=np.uint8)
    labels[3, 4] = 7
    Image.fromarray(labels, mode="L").save(bad)
    result = train_folder(root, tmp_path / "run")
    assert_user_error(result, bad, "7", out=tmp_path / "run")


def test_image_and_mask_sizes_differ(tmp_path):
    root = folder_dataset(tmp_path / "data")
    bad = root / "masks" / "val" / "0.png"
    Image.fromarray(np.zeros((24, 32), dtype=np.uint8), mode="L").save(bad)
    assert_user_error(train_folder(root, tmp_path / "run"), bad, out=tmp_path / "run")


def test_corrupt_image(tmp_path):
    root = folder_dataset(tmp_path / "data")
    bad = root / "images" / "train" / "0.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 8)
    assert_user_error(train_folder(root, tmp_path / "run"), bad, out=tmp_path / "run")


def test_checkpoint_from_another_spec(tmp_path, trained):
    result = run(["eval", "specs/examples/segnet_tiny.yaml", "--weights", trained, "--data", "synthetic"])
    assert_user_error(result, trained, "unet-small", "segnet-tiny")
    result = run(["predict", "specs/examples/segnet_tiny.yaml", "--weights", trained, trained])
    assert_user_error(result, trained)
    out = tmp_path / "run"
    result = run(["train", "specs/examples/segnet_tiny.yaml", "--set", "num_classes=5", "--data-opt", "size=32",
                  "--data-opt", "length=16", "--resume", trained, "--out", out])
    assert_user_error(result, trained, "unet-small", out=out)


def test_checkpoint_of_another_build_of_the_spec(tmp_path, trained):
    out = tmp_path / "run"
    result = run(["train", TINY_SPEC, *TINY, "--set", "width=8", "--resume", trained, "--out", out])
    assert_user_error(result, trained, "width", out=out)
    result = run(["eval", TINY_SPEC, "--weights", trained, "--set", "width=8", "--data-opt", "size=32"])
    assert_user_error(result, trained, "different build", "width: 4 in the checkpoint, 8 now", "--allow-other-build")
    result = run(["eval", TINY_SPEC, "--weights", trained, "--set", "width=8", "--data-opt", "size=32",
                  "--allow-other-build"])  # loaded anyway: the weights do not fit
    assert_user_error(result, trained, "shape mismatch")


@pytest.mark.parametrize("content", [b"", b"garbage", None])
def test_unreadable_checkpoint(tmp_path, trained, content):
    bad = tmp_path / "bad.pt"
    if content is None:  # truncated
        data = trained.read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    else:
        bad.write_bytes(content)
    assert_user_error(run(["eval", TINY_SPEC, "--weights", bad, "--data-opt", "size=32"]), bad)
    assert_user_error(run(["train", TINY_SPEC, *TINY, "--resume", bad, "--out", tmp_path / "r"]), bad,
                      out=tmp_path / "r")


def test_missing_checkpoint(tmp_path):
    missing = tmp_path / "nope.pt"
    assert_user_error(run(["eval", TINY_SPEC, "--weights", missing]), missing)


def test_run_folder_that_holds_a_run(tmp_path, trained):
    result = run(["train", TINY_SPEC, *TINY, "--out", trained.parent])
    assert_user_error(result, "last.pt")
    assert "--resume" in result.output


@pytest.mark.parametrize("args, needle", [
    (["--crop", "30x30"], "multiple of 16"),
    (["--data", "nosuchdata"], "nosuchdata"),
    (["--data-opt", "colour=red"], "colour"),
    (["--set", "num_classes=3"], "num_classes"),
    (["--batch-size", "3", "--device", "cpu"], None),
])
def test_bad_options(tmp_path, args, needle):
    result = run(["train", TINY_SPEC, *TINY, *args, "--epochs", "1", "--out", tmp_path / "r"])
    if needle is None:  # batch 3 of 16 samples is fine in one process
        assert result.exit_code == 0, result.output
        return
    assert_user_error(result, needle, out=tmp_path / "r")

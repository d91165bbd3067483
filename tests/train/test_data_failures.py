"""Issue 13's data probes through `segkit train/eval`: a truncated val image stops the run
before epoch 1, a bad image read in a DataLoader worker is reported at its file, all-ignore
masks are warned about, and a BatchNorm on a batch of one 1x1 map is a located error."""
from __future__ import annotations

import numpy as np
from PIL import Image

from tests.train.conftest import TINY_SPEC
from tests.train.test_bad_input import assert_user_error, folder_dataset, run, train_folder


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_a_truncated_val_image_stops_the_run_before_training(tmp_path):
    root = folder_dataset(tmp_path / "data")
    bad = root / "images" / "val" / "1.png"
    truncate(bad)
    result = train_folder(root, tmp_path / "run")
    assert_user_error(result, f"{bad}: error: cannot read image 1.png", out=tmp_path / "run")


def test_check_data_full_decodes_the_train_split_too(tmp_path):
    root = folder_dataset(tmp_path / "data")
    bad = root / "images" / "train" / "0.png"
    truncate(bad)
    result = run(["train", TINY_SPEC, "--set", "width=4", "--data", f"folder:{root}", "--batch-size", "2",
                  "--crop", "32x32", "--epochs", "1", "--out", tmp_path / "run", "--check-data", "full"])
    assert_user_error(result, f"{bad}: error: cannot read image 0.png", out=tmp_path / "run")


def test_a_bad_image_in_a_loader_worker_is_reported_at_its_file(tmp_path):
    root = folder_dataset(tmp_path / "data")
    bad = root / "images" / "train" / "1.png"
    truncate(bad)
    result = run(["train", TINY_SPEC, "--set", "width=4", "--data", f"folder:{root}", "--data-opt", "validate=no",
                  "--batch-size", "2", "--crop", "32x32", "--epochs", "1", "--out", tmp_path / "run",
                  "--workers", "1"])
    assert result.exit_code == 2, result.output
    assert f"{bad}: error: cannot read image 1.png" in result.output
    assert "<unknown>" not in result.output and "Traceback" not in result.output and "worker" not in result.output


def test_all_ignore_masks_are_warned_about(tmp_path):
    root = folder_dataset(tmp_path / "data")
    for i in range(2):
        Image.fromarray(np.full((32, 32), 255, dtype=np.uint8), mode="L").save(root / "masks" / "val" / f"{i}.png")
    result = train_folder(root, tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert ("warning: every one of the 2 masks of the val split labels no pixel (all ignore index 255)"
            in result.output)
    assert "masks of the train split" not in result.output


def test_batch_norm_on_a_batch_of_one_1x1_map(tmp_path):
    result = run(["train", TINY_SPEC, "--set", "width=4", "--data", "synthetic", "--data-opt", "size=16",
                  "--data-opt", "length=2", "--batch-size", "1", "--epochs", "1", "--out", tmp_path / "run"])
    assert_user_error(result, "--batch-size: error: a BatchNorm layer of the model gets a single value per channel",
                      "1x1 at crop 16x16", out=tmp_path / "run")

"""`segkit predict` writes palette PNG masks and alpha-blended overlays."""
from __future__ import annotations

import numpy as np
from click.testing import CliRunner
from PIL import Image

from segkit.cli import main
from segkit.data.synthetic import SyntheticShapes
from segkit.train.predict import overlay_image
from tests.train.conftest import TINY_SPEC


def test_predict_writes_palette_masks_and_overlays(tmp_path, trained):
    rng = np.random.default_rng(0)
    images = tmp_path / "images"
    images.mkdir()
    sizes = {"a": (48, 64), "b": (37, 50)}  # b is not a multiple of 16: padded, then cropped
    for name, (h, w) in sizes.items():
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(images / f"{name}.png")
    out = tmp_path / "pred"
    result = CliRunner().invoke(main, ["predict", TINY_SPEC, "--weights", str(trained), str(images / "a.png"),
                                       str(images / "b.png"), "--out", str(out), "--overlay", "--alpha", "0.4"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["a_mask.png", "a_overlay.png", "b_mask.png", "b_overlay.png"]
    palette = [tuple(c) for c in SyntheticShapes.palette]
    for name, (h, w) in sizes.items():
        with Image.open(out / f"{name}_mask.png") as mask:
            assert mask.mode == "P" and mask.size == (w, h)
            stored = mask.getpalette()[: 3 * len(palette)]
            assert [tuple(stored[i:i + 3]) for i in range(0, len(stored), 3)] == palette
            labels = np.array(mask)
        assert labels.max() < len(palette)
        with Image.open(out / f"{name}_overlay.png") as overlay:
            assert overlay.mode == "RGB" and overlay.size == (w, h)
            blended = np.array(overlay)
        with Image.open(images / f"{name}.png") as source:
            expected = np.array(overlay_image(np.array(source), labels, palette, 0.4))
        assert np.array_equal(blended, expected)


def test_predict_folder_without_overlay(tmp_path, trained):
    images = tmp_path / "images"
    images.mkdir()
    for name in ("x", "y"):
        Image.fromarray(np.full((32, 32, 3), 128, dtype=np.uint8)).save(images / f"{name}.jpg")
    out = tmp_path / "pred"
    result = CliRunner().invoke(main, ["predict", TINY_SPEC, "--weights", str(trained), str(images),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["x_mask.png", "y_mask.png"]


def test_overlay_blends_with_alpha():
    rgb = np.full((1, 2, 3), 100, dtype=np.uint8)
    mask = np.array([[0, 1]])
    out = np.array(overlay_image(rgb, mask, [(0, 0, 0), (200, 100, 0)], alpha=0.5))
    assert out.tolist() == [[[50, 50, 50], [150, 100, 50]]]


def test_predict_reports_a_missing_or_corrupt_image(tmp_path, trained):
    missing = tmp_path / "missing.png"
    result = CliRunner().invoke(main, ["predict", TINY_SPEC, "--weights", str(trained), str(missing)])
    assert result.exit_code == 2 and str(missing) in result.output and "Traceback" not in result.output
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"nope")
    result = CliRunner().invoke(main, ["predict", TINY_SPEC, "--weights", str(trained), str(corrupt),
                                       "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and str(corrupt) in result.output and "Traceback" not in result.output

"""Dataset validation of issue 13: a full-decode level that finds truncated images, 16-bit
grayscale scaled to its content, all-ignore masks listed for a warning, and clear errors
for two images of one stem and for folders named like images."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from segkit.data.base import parse_options, read_image
from segkit.data.folder import FolderDataset
from segkit.data.pixels import rgb8
from segkit.errors import InputError
from tests.data.conftest import labels, write_image, write_mask


@pytest.fixture
def root(tmp_path):
    for split in ("train", "val"):
        for i in range(2):
            write_image(tmp_path / "images" / split / f"s0{i}.png", seed=i)
            write_mask(tmp_path / "masks" / split / f"s0{i}.png", labels())
    (tmp_path / "classes.txt").write_text("a\nb\n")
    return tmp_path


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_validate_levels_parse():
    allowed = {"validate": ("validate", True)}
    assert [parse_options("x", {"validate": v}, allowed)["validate"] for v in ("full", "labels", "headers", "no")] \
        == ["full", True, "headers", False]


def test_a_truncated_image_is_found_only_by_full_decoding(root):
    bad = root / "images" / "val" / "s01.png"
    truncate(bad)
    assert len(FolderDataset.open(str(root), "val")) == 2  # the header still reads
    with pytest.raises(InputError) as info:
        FolderDataset.open(str(root), "val", validate="full")
    assert info.value.loc.file == str(bad) and "cannot read image s01.png" in info.value.message


@pytest.mark.parametrize("peak, scale", [(4095, 4095), (65535, 65535), (200, 255)])
def test_16_bit_grayscale_is_scaled_to_its_content(tmp_path, peak, scale):
    values = np.linspace(0, peak, 64).astype(np.uint16).reshape(8, 8)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    with Image.open(path) as img:
        assert img.mode.startswith("I")
    pixels = read_image(path)
    assert pixels.shape == (8, 8, 3) and pixels.dtype == np.uint8
    np.testing.assert_array_equal(pixels[..., 0], np.rint(values * (255 / scale)).astype(np.uint8))
    assert len(np.unique(pixels)) > 30  # not saturated


def test_float_images_in_0_1_keep_their_scale():
    img = Image.fromarray(np.full((2, 2), 0.5, dtype=np.float32), mode="F")
    assert (rgb8(img) == 128).all()


def test_all_ignore_masks_are_listed(root):
    unlabeled = write_mask(root / "masks" / "train" / "s01.png", np.full((8, 10), 255, dtype=np.uint8))
    dataset = FolderDataset.open(str(root), "train")
    assert dataset.unlabeled == [unlabeled]
    assert FolderDataset.open(str(root), "val").unlabeled == []


def test_two_images_of_one_stem(root):
    twin = write_image(root / "images" / "train" / "s01.jpg", fmt="JPEG")
    with pytest.raises(InputError) as info:
        FolderDataset.open(str(root), "train")
    assert info.value.loc.file in (str(twin), str(root / "images" / "train" / "s01.png"))
    assert "images s01.jpg and s01.png in images/train have the same name s01" in info.value.message


@pytest.mark.parametrize("where", ["images", "masks"])
def test_a_folder_named_like_an_image(root, where):
    folder = root / where / "train" / "zz.png"
    folder.mkdir()
    with pytest.raises(InputError) as info:
        FolderDataset.open(str(root), "train")
    assert info.value.loc.file == str(folder)
    assert info.value.message == f"{where}/train/zz.png is named like an image but is not a file"

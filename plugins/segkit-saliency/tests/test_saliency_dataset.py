"""The ``rgbd_saliency`` reader on a tiny tree written by the tests, and its errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from segkit_saliency.dataset import RGBDSaliencyDataset, ucnet_inputs

from segkit.errors import InputError

H, W = 6, 8


def write_sample(base: Path, stem: str, seed: int, depth16: bool = False, size=(H, W)) -> dict:
    rng = np.random.default_rng(seed)
    h, w = size
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    gt = np.zeros((h, w), np.uint8)
    gt[1:4, 2:6] = 255
    for name in ("RGB", "depth", "GT"):
        (base / name).mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(base / "RGB" / f"{stem}.png")
    if depth16:
        depth = rng.integers(0, 65536, (h, w)).astype(np.uint16)
        Image.fromarray(depth).save(base / "depth" / f"{stem}.png")
        depth_float = depth.astype(np.float32) / 65535
    else:
        depth = rng.integers(0, 256, (h, w), dtype=np.uint8)
        Image.fromarray(depth, mode="L").save(base / "depth" / f"{stem}.png")
        depth_float = depth.astype(np.float32) / 255
    Image.fromarray(gt, mode="L").save(base / "GT" / f"{stem}.png")
    return {"rgb": rgb, "depth": depth_float, "gt": (gt == 255).astype(np.int64)}


@pytest.fixture
def tree(tmp_path):
    truth = {"a": write_sample(tmp_path, "a", 0), "b": write_sample(tmp_path, "b", 1, depth16=True)}
    return tmp_path, truth


def test_items_are_rgbd_images_and_binary_masks(tree):
    root, truth = tree
    ds = RGBDSaliencyDataset.open(root, "test")
    assert len(ds) == 2 and [ds.sample_id(i) for i in range(2)] == ["a", "b"]
    assert ds.num_classes == 2 and ds.in_channels == 4
    for i, stem in enumerate("ab"):
        image, mask = ds[i]
        assert image.shape == (4, H, W) and image.dtype == torch.float32
        assert mask.shape == (H, W) and mask.dtype == torch.int64
        np.testing.assert_allclose(image[:3].permute(1, 2, 0).numpy(), truth[stem]["rgb"] / 255, rtol=1e-6)
        np.testing.assert_allclose(image[3].numpy(), truth[stem]["depth"], rtol=1e-6)  # 8- and 16-bit depth
        assert torch.equal(mask, torch.from_numpy(truth[stem]["gt"]))
        assert set(mask.unique().tolist()) == {0, 1}


def test_ucnet_inputs_and_dict_items(tree):
    root, _ = tree
    image, mask = RGBDSaliencyDataset.open(root, "train")[0]
    inputs = ucnet_inputs(image[None], mask[None])
    assert {k: tuple(v.shape) for k, v in inputs.items()} == {"rgb": (1, 3, H, W), "depth": (1, 1, H, W),
                                                             "gt": (1, 1, H, W)}
    assert torch.equal(inputs["gt"][0, 0], mask.float())
    item = RGBDSaliencyDataset.open(root, "train", item="dict")[0]
    assert set(item) == {"rgb", "depth", "gt", "mask", "name"} and item["name"] == "a"
    assert torch.equal(item["rgb"], image[:3]) and torch.equal(item["depth"], image[3:])
    assert torch.equal(item["gt"][0], mask.float())


def test_split_folders_and_transforms(tmp_path):
    write_sample(tmp_path / "train", "x", 2)
    write_sample(tmp_path / "test", "y", 3)
    assert RGBDSaliencyDataset.open(tmp_path, "train").sample_id(0) == "x"
    assert RGBDSaliencyDataset.open(tmp_path, "test").sample_id(0) == "y"

    def flip(image, mask):
        return image.flip(-1), mask.flip(-1)

    plain = RGBDSaliencyDataset.open(tmp_path, "train")[0]
    flipped = RGBDSaliencyDataset.open(tmp_path, "train", transform=flip)[0]
    assert torch.equal(flipped[0], plain[0].flip(-1)) and torch.equal(flipped[1], plain[1].flip(-1))


def test_registered_dataset_opens(tree, registry):
    root, _ = tree
    ds = registry.get("dataset", "rgbd_saliency").open(str(root), "test", validate="headers")
    assert len(ds) == 2


def error_for(root, **options) -> InputError:
    with pytest.raises(InputError) as info:
        ds = RGBDSaliencyDataset.open(root, "test", **options)
        for i in range(len(ds)):
            ds[i]
    return info.value


def test_missing_partner_files_are_named(tree):
    root, _ = tree
    (root / "depth" / "b.png").unlink()
    err = error_for(root)
    assert "b.png" in err.message and "depth" in err.message and err.loc.file.endswith("RGB/b.png")
    write_sample(root, "b", 1)
    (root / "GT" / "a.png").rename(root / "GT" / "c.png")
    err = error_for(root)
    assert "a.png" in err.message and "GT" in err.message
    (root / "GT" / "c.png").rename(root / "GT" / "a.png")
    Image.fromarray(np.zeros((H, W), np.uint8), mode="L").save(root / "depth" / "orphan.png")
    err = error_for(root)
    assert err.loc.file.endswith("depth/orphan.png") and "no image" in err.message


def test_bad_files_are_named(tree):
    root, _ = tree
    # a 3-channel depth map
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(root / "depth" / "a.png")
    err = error_for(root)
    assert err.loc.file.endswith("depth/a.png") and "one channel" in err.message
    write_sample(root, "a", 0)
    # a GT mask with grey levels
    gt = np.zeros((H, W), np.uint8)
    gt[0, 0], gt[0, 1] = 128, 255
    Image.fromarray(gt, mode="L").save(root / "GT" / "b.png")
    err = error_for(root)
    assert err.loc.file.endswith("GT/b.png") and "128" in err.message and "gt_threshold" in err.hint
    ds = RGBDSaliencyDataset.open(root, "test", gt_threshold=127)
    assert ds[1][1][0, :2].tolist() == [1, 1]
    write_sample(root, "b", 1)
    # a mask of another size
    Image.fromarray(np.zeros((H + 1, W), np.uint8), mode="L").save(root / "GT" / "a.png")
    err = error_for(root, validate="headers")
    assert err.loc.file.endswith("GT/a.png") and "8x6" in err.message and "8x7" in err.message
    write_sample(root, "a", 0)
    # a file that is not an image
    (root / "RGB" / "b.png").write_bytes(b"not a png")
    err = error_for(root)
    assert err.loc.file.endswith("RGB/b.png") and "cannot read" in err.message
    # without validation the bad file surfaces when read, still named
    ds = RGBDSaliencyDataset.open(root, "test", validate=False)
    with pytest.raises(InputError) as info:
        ds[1]
    assert info.value.loc.file.endswith("RGB/b.png")


def test_layout_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        RGBDSaliencyDataset.open(tmp_path / "nowhere", "test")
    (tmp_path / "RGB").mkdir()
    (tmp_path / "GT").mkdir()
    err = error_for(tmp_path)
    assert "depth/" in err.message
    (tmp_path / "depth").mkdir()
    assert "no test samples" in error_for(tmp_path).message
    with pytest.raises(InputError, match="no split"):
        RGBDSaliencyDataset.open(tmp_path, "holdout")
    with pytest.raises(InputError, match="unknown option"):
        RGBDSaliencyDataset.open(tmp_path, "test", colour=True)

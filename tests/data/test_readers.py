"""The on-disk readers (voc, cityscapes, camvid, ade20k, folder) on tiny trees in the real
layouts, and their errors on bad data."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from segkit.api import default_registry
from segkit.data.base import SegDataset, voc_colormap
from segkit.errors import InputError, RegistryError

from .conftest import labels, write_image, write_mask


def dataset(name):
    return default_registry().get("dataset", name)


def test_every_builtin_dataset_is_registered():
    names = set(default_registry().tables["dataset"])
    assert {"synthetic", "folder", "voc", "cityscapes", "camvid", "ade20k"} <= names
    cls = dataset("voc").load()
    assert cls.name == "voc" and issubclass(cls, SegDataset)  # map-style, not a torch Dataset subclass


def test_unknown_dataset_suggests_a_name():
    with pytest.raises(RegistryError, match="did you mean"):
        dataset("cityscape")


def test_voc_palette_masks_map_to_indices(voc_root):
    train = dataset("voc").open(str(voc_root), "train")
    val = dataset("voc").open(str(voc_root / "VOC2012"), "val")
    assert (len(train), len(val)) == (2, 1)
    assert train.num_classes == 21 and len(train.class_names) == 21 and len(train.palette) == 21
    assert train.class_names[15] == "person" and train.palette[15] == (192, 128, 128)
    image, mask = train[0]
    assert image.shape == (3, 8, 10) and image.dtype == torch.float32
    assert 0.0 <= image.min() and image.max() <= 1.0
    assert mask.shape == (8, 10) and mask.dtype == torch.int64
    assert mask[3, 4] == 15 and mask[7, 0] == 20 and mask[7, 1] == 0
    assert (mask[0] == 255).all()
    assert train.sample_id(0) == "2007_000032"


def test_voc_rgb_masks_map_through_the_palette(voc_root):
    path = voc_root / "VOC2012" / "SegmentationClass" / "2007_000032.png"
    index = np.array(Image.open(path))
    Image.fromarray(np.array(voc_colormap(256), dtype=np.uint8)[index]).save(path)
    assert Image.open(path).mode == "RGB"
    mask = dataset("voc").open(str(voc_root), "train")[0][1].numpy()
    assert (mask == index).all()


def test_cityscapes_label_ids_map_to_train_ids(cityscapes_root):
    train = dataset("cityscapes").open(str(cityscapes_root), "train")
    assert len(train) == 3 and len(dataset("cityscapes").open(str(cityscapes_root), "val")) == 1
    assert train.num_classes == 19 and train.class_names[13] == "car" and train.palette[0] == (128, 64, 128)
    mask = train[0][1]
    assert (mask[0:2] == 0).all() and (mask[2:4] == 13).all()
    assert (mask[4, :5] == 18).all() and (mask[4, 5:] == 255).all()
    assert (mask[5:] == 255).all()
    assert train.sample_id(0) == "aachen_000000_000019_leftImg8bit"


def test_camvid_void_is_ignored(camvid_root):
    ds = dataset("camvid")
    assert [len(ds.open(str(camvid_root), s)) for s in ("train", "val", "test")] == [3, 2, 1]
    train = ds.open(str(camvid_root / "CamVid"), "train")
    assert train.num_classes == 11 and len(train.class_names) == 11
    mask = train[0][1].flatten()[:4].tolist()
    assert mask == [0, 3, 10, 255]


def test_ade20k_zero_is_ignored_and_labels_shift(ade_root):
    train = dataset("ade20k").open(str(ade_root.parent), "train")
    val = dataset("ade20k").open(str(ade_root), "val")
    assert (len(train), len(val)) == (2, 1)
    assert train.num_classes == 150 and len(train.class_names) == 150 and len(train.palette) == 150
    assert train.class_names[0] == "wall" and train.class_names[12] == "person"
    assert train[0][1].flatten()[:4].tolist() == [255, 0, 149, 12]


def test_folder_reads_classes_txt(folder_root):
    train = dataset("folder").open(str(folder_root), "train")
    assert len(train) == 3 and train.num_classes == 3 and train.class_names == ["background", "road", "car"]
    assert train[1][1].flatten()[:4].tolist() == [0, 1, 2, 255]
    assert len(dataset("folder").open(str(folder_root), "val")) == 1


def test_folder_options_come_as_strings_too(folder_root):
    (folder_root / "classes.txt").unlink()
    with pytest.raises(InputError, match="number of classes"):
        dataset("folder").open(str(folder_root), "train")
    ds = dataset("folder").open(str(folder_root), "train", num_classes="4", validate="headers")
    assert ds.num_classes == 4 and ds.class_names == ["class0", "class1", "class2", "class3"]
    with pytest.raises(InputError, match="unknown option 'classes'"):
        dataset("folder").open(str(folder_root), "train", classes=3)


def test_transform_is_applied(folder_root):
    from segkit.data.transforms import Normalize

    plain = dataset("folder").open(str(folder_root), "train")
    normed = dataset("folder").open(str(folder_root), "train", transform=Normalize([0.5] * 3, [0.25] * 3))
    assert torch.allclose(normed[0][0], (plain[0][0] - 0.5) / 0.25)


# ---------------------------------------------------------------- bad input
def assert_names(exc_info, path):
    err = exc_info.value
    assert err.loc.file == str(path)
    assert path.name in err.message or str(path) in err.message
    assert str(path) in str(err)


@pytest.mark.parametrize("name", ["folder", "voc", "cityscapes", "camvid", "ade20k"])
def test_nonexistent_root(tmp_path, name):
    missing = tmp_path / "nope"
    with pytest.raises(InputError, match="does not exist") as info:
        dataset(name).open(str(missing), "train")
    assert info.value.loc.file == str(missing) and str(missing) in str(info.value)


def test_missing_path_for_a_disk_dataset():
    with pytest.raises(InputError, match="needs a path"):
        dataset("voc").open(None, "train")


@pytest.mark.parametrize("name,fixture,mask_rel,bad", [
    ("folder", "folder_root", "masks/train/img1.png", 3),
    ("voc", "voc_root", "VOC2012/SegmentationClass/2007_000039.png", 21),
    ("camvid", "camvid_root", "CamVid/trainannot/0001TP_0001.png", 12),
    ("ade20k", "ade_root", "annotations/training/ADE_train_00000001.png", 151),
    ("cityscapes", "cityscapes_root", "gtFine/train/aachen/aachen_000001_000019_gtFine_labelIds.png", 40),
])
def test_labels_outside_the_class_range(request, name, fixture, mask_rel, bad):
    root = request.getfixturevalue(fixture)
    mask = root / mask_rel
    write_mask(mask, labels(values=(0, bad)), palette=name == "voc")
    with pytest.raises(InputError, match=f"labels {bad} outside") as info:
        dataset(name).open(str(root), "train")
    assert_names(info, mask)


def test_size_mismatch(folder_root):
    mask = write_mask(folder_root / "masks" / "train" / "img2.png", labels(6, 10))
    with pytest.raises(InputError, match=r"is 10x8 .* but its mask img2.png is 10x6") as info:
        dataset("folder").open(str(folder_root), "train")
    assert_names(info, mask)


def test_corrupt_image(folder_root):
    image = folder_root / "images" / "train" / "img1.png"
    image.write_bytes(b"\x89PNG not really a png" * 4)
    with pytest.raises(InputError, match="cannot read image img1.png") as info:
        dataset("folder").open(str(folder_root), "train")
    assert_names(info, image)


def test_corrupt_mask(cityscapes_root):
    mask = next((cityscapes_root / "gtFine" / "val").rglob("*.png"))
    mask.write_bytes(b"garbage")
    with pytest.raises(InputError, match="cannot read mask") as info:
        dataset("cityscapes").open(str(cityscapes_root), "val")
    assert_names(info, mask)


def test_missing_files(voc_root, folder_root):
    image = voc_root / "VOC2012" / "JPEGImages" / "2007_000063.jpg"
    image.unlink()
    with pytest.raises(InputError, match="does not exist") as info:
        dataset("voc").open(str(voc_root), "val")
    assert_names(info, image)
    (folder_root / "masks" / "train" / "img0.png").unlink()
    with pytest.raises(InputError, match="img0.png has no mask") as info:
        dataset("folder").open(str(folder_root), "train")
    assert info.value.loc.file == str(folder_root / "images" / "train" / "img0.png")


def test_unknown_split(voc_root):
    with pytest.raises(InputError, match="no split 'training'"):
        dataset("voc").open(str(voc_root), "training")


def test_validation_off_defers_errors_to_loading(folder_root):
    image = write_image(folder_root / "images" / "train" / "img2.png", h=5)
    ds = dataset("folder").open(str(folder_root), "train", validate=False)
    ds[0]
    with pytest.raises(InputError) as info:
        ds[2]
    assert info.value.loc.file == str(folder_root / "masks" / "train" / "img2.png")
    assert image.name in info.value.message


def test_validation_in_parallel_reports_the_first_bad_sample(tmp_path):
    root = tmp_path / "many"
    for k in range(40):
        write_image(root / "images" / "train" / f"s{k:02d}.png", h=4, w=4, seed=k)
        write_mask(root / "masks" / "train" / f"s{k:02d}.png", labels(4, 4, (0, 1)))
    for k in (31, 17):
        write_mask(root / "masks" / "train" / f"s{k:02d}.png", labels(4, 4, (0, 9)))
    with pytest.raises(InputError) as info:
        dataset("folder").open(str(root), "train", num_classes=2)
    assert info.value.loc.file.endswith("s17.png")

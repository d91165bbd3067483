"""``cityscapes``: Cityscapes fine annotations, 19 training classes.

Layout::

    leftImg8bit/{train,val,test}/CITY/NAME_leftImg8bit.png
    gtFine/{train,val,test}/CITY/NAME_gtFine_labelIds.png

Label ids map to the 19 train ids of the benchmark; every other id (void, license plate,
the classes not evaluated) becomes 255 = ignore.
"""
from __future__ import annotations

import numpy as np

from segkit.data.base import FileSegDataset, located, parse_options, require_dir
from segkit.errors import InputError

# (name, labelId, colour) of the 19 evaluated classes, in trainId order
CITYSCAPES = [
    ("road", 7, (128, 64, 128)), ("sidewalk", 8, (244, 35, 232)), ("building", 11, (70, 70, 70)),
    ("wall", 12, (102, 102, 156)), ("fence", 13, (190, 153, 153)), ("pole", 17, (153, 153, 153)),
    ("traffic light", 19, (250, 170, 30)), ("traffic sign", 20, (220, 220, 0)),
    ("vegetation", 21, (107, 142, 35)), ("terrain", 22, (152, 251, 152)), ("sky", 23, (70, 130, 180)),
    ("person", 24, (220, 20, 60)), ("rider", 25, (255, 0, 0)), ("car", 26, (0, 0, 142)),
    ("truck", 27, (0, 0, 70)), ("bus", 28, (0, 60, 100)), ("train", 31, (0, 80, 100)),
    ("motorcycle", 32, (0, 0, 230)), ("bicycle", 33, (119, 11, 32)),
]
IMAGE_SUFFIX = "_leftImg8bit.png"
MASK_SUFFIX = "_gtFine_labelIds.png"


def label_to_train_id(ignore_index: int = 255) -> np.ndarray:
    """A 256-entry table: labelId -> trainId; the ids of void and non-evaluated classes
    (0..33 and 255, which holds the license plate's -1) -> ignore; ids 34..254 do not exist
    in Cityscapes and are -1 (invalid)."""
    lut = np.full(256, -1, dtype=np.int64)
    lut[:34] = ignore_index
    lut[255] = ignore_index
    for train_id, (_, label_id, _) in enumerate(CITYSCAPES):
        lut[label_id] = train_id
    return lut


class CityscapesDataset(FileSegDataset):
    """Cityscapes (Cordts et al., CVPR 2016), gtFine."""

    name = "cityscapes"
    num_classes = 19
    ignore_index = 255
    class_names = [c[0] for c in CITYSCAPES]
    palette = [c[2] for c in CITYSCAPES]
    splits = ("train", "val", "test")
    options = {"validate": ("validate", True)}

    @classmethod
    def open(cls, path, split, transform=None, **options) -> "CityscapesDataset":
        opts = parse_options(cls.name, options, cls.options)
        root = require_dir(path, cls.name)
        cls.check_split(split, located(root))
        image_dir, mask_dir = root / "leftImg8bit" / split, root / "gtFine" / split
        for d in (image_dir, mask_dir):
            if not d.is_dir():
                raise InputError(f"not a Cityscapes folder: {d.relative_to(root)}/ does not exist", located(d))
        samples = []
        for image in sorted(image_dir.glob(f"*/*{IMAGE_SUFFIX}")):
            stem = image.name[: -len(IMAGE_SUFFIX)]
            samples.append((image, mask_dir / image.parent.name / f"{stem}{MASK_SUFFIX}"))
        return cls.finish_open(cls(samples, split, transform, root), opts["validate"])

    def label_lut(self) -> np.ndarray:
        return label_to_train_id(self.ignore_index)

"""``camvid``: CambridgeDriving Labeled Video, 11 classes, in the SegNet layout.

Layout::

    {train,val,test}/NAME.png
    {train,val,test}annot/NAME.png     (class indices 0..10; 11 = void -> ignore)
"""
from __future__ import annotations

import numpy as np

from segkit.data.base import FileSegDataset, located, parse_options, require_dir
from segkit.errors import InputError

CAMVID = [
    ("sky", (128, 128, 128)), ("building", (128, 0, 0)), ("pole", (192, 192, 128)),
    ("road", (128, 64, 128)), ("pavement", (60, 40, 222)), ("tree", (128, 128, 0)),
    ("signsymbol", (192, 128, 128)), ("fence", (64, 64, 128)), ("car", (64, 0, 128)),
    ("pedestrian", (64, 64, 0)), ("bicyclist", (0, 128, 192)),
]
VOID = 11


class CamVidDataset(FileSegDataset):
    """CamVid (Brostow et al., 2009) as prepared for SegNet (Badrinarayanan et al.)."""

    name = "camvid"
    num_classes = 11
    ignore_index = 255
    class_names = [c[0] for c in CAMVID]
    palette = [c[1] for c in CAMVID]
    splits = ("train", "val", "test")
    options = {"validate": ("validate", True)}

    @classmethod
    def open(cls, path, split, transform=None, **options) -> "CamVidDataset":
        opts = parse_options(cls.name, options, cls.options)
        root = require_dir(path, cls.name)
        if (root / "CamVid").is_dir() and not (root / split).is_dir():
            root = root / "CamVid"
        cls.check_split(split, located(root))
        image_dir, mask_dir = root / split, root / f"{split}annot"
        for d in (image_dir, mask_dir):
            if not d.is_dir():
                raise InputError(f"not a CamVid (SegNet layout) folder: {d.name}/ does not exist", located(d))
        samples = [(image, mask_dir / f"{image.stem}.png")
                   for image in sorted(image_dir.iterdir()) if image.suffix.lower() in (".png", ".jpg")]
        return cls.finish_open(cls(samples, split, transform, root), opts["validate"])

    def label_lut(self) -> np.ndarray:
        lut = np.full(256, -1, dtype=np.int64)
        lut[: self.num_classes] = np.arange(self.num_classes)
        lut[VOID] = self.ignore_index
        lut[255] = self.ignore_index
        return lut

"""``voc``: PASCAL VOC 2012 segmentation.

Layout (``path`` may be ``VOCdevkit``, ``VOCdevkit/VOC2012`` or a folder holding
``VOCdevkit``)::

    JPEGImages/ID.jpg
    SegmentationClass/ID.png              (P mode: palette index = class, 255 = ignore)
    ImageSets/Segmentation/{train,val,trainval}.txt

21 classes (background + 20). Masks saved as RGB instead of P are mapped back through the
VOC palette (the border colour (224, 224, 192) is ignore).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from segkit.data.base import FileSegDataset, located, parse_options, require_dir, voc_colormap
from segkit.errors import InputError

VOC_CLASSES = ["background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
               "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant",
               "sheep", "sofa", "train", "tvmonitor"]


class VOCDataset(FileSegDataset):
    """PASCAL VOC 2012 (Everingham et al.)."""

    name = "voc"
    num_classes = 21
    ignore_index = 255
    class_names = VOC_CLASSES
    palette = voc_colormap(21)
    splits = ("train", "val", "trainval")
    options = {"validate": ("validate", True)}

    @classmethod
    def find_root(cls, path) -> Path:
        root = require_dir(path, cls.name)
        for candidate in (root, root / "VOC2012", root / "VOCdevkit" / "VOC2012"):
            if (candidate / "JPEGImages").is_dir() and (candidate / "SegmentationClass").is_dir():
                return candidate
        raise InputError("not a PASCAL VOC 2012 folder: no JPEGImages/ and SegmentationClass/ here "
                         "(nor in VOC2012/ or VOCdevkit/VOC2012/)", located(root))

    @classmethod
    def open(cls, path, split, transform=None, **options) -> "VOCDataset":
        opts = parse_options(cls.name, options, cls.options)
        root = cls.find_root(path)
        cls.check_split(split, located(root))
        listing = root / "ImageSets" / "Segmentation" / f"{split}.txt"
        if not listing.is_file():
            raise InputError(f"VOC split list {split}.txt does not exist", located(listing))
        ids = [line.split()[0] for line in listing.read_text().splitlines() if line.strip()]
        samples = [(root / "JPEGImages" / f"{i}.jpg", root / "SegmentationClass" / f"{i}.png") for i in ids]
        return cls.finish_open(cls(samples, split, transform, root), opts["validate"])

    def map_colours(self, rgb: np.ndarray, path: Path) -> np.ndarray:
        code = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2]
        colours = voc_colormap(256)
        table = {(r << 16) | (g << 8) | b: k for k, (r, g, b) in enumerate(colours[:self.num_classes])}
        r, g, b = colours[255]
        table[(r << 16) | (g << 8) | b] = self.ignore_index
        values, inverse = np.unique(code, return_inverse=True)
        unknown = [v for v in values.tolist() if v not in table]
        if unknown:
            shown = ", ".join(f"({v >> 16}, {(v >> 8) & 255}, {v & 255})" for v in unknown[:4])
            raise InputError(f"mask {path.name} has colours {shown} that are not VOC class colours",
                             located(path))
        return np.array([table[v] for v in values.tolist()], dtype=np.int64)[inverse].reshape(code.shape)

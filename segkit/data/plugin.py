"""The built-in plugin that registers segkit's datasets (``segkit train --data
NAME[:path]``; see :mod:`segkit.data.base` for the protocol): ``synthetic`` (generated
shapes, no path), ``folder`` (images/ + masks/), ``voc``, ``cityscapes``, ``camvid``,
``ade20k``.

Registration imports neither torch nor Pillow: each entry is a
:class:`~segkit.plugins.lazy.Lazy` handle that imports its module on first use.
"""
from __future__ import annotations

from segkit.plugins.hookspecs import hookimpl
from segkit.plugins.lazy import Lazy

DATASETS = {
    "synthetic": ("segkit.data.synthetic:SyntheticShapes", "procedural shapes on textured backgrounds (no download)"),
    "folder": ("segkit.data.folder:FolderDataset", "images/{split}/* and masks/{split}/*.png of your own"),
    "voc": ("segkit.data.voc:VOCDataset", "PASCAL VOC 2012 segmentation, 21 classes"),
    "cityscapes": ("segkit.data.cityscapes:CityscapesDataset", "Cityscapes gtFine, 19 train ids"),
    "camvid": ("segkit.data.camvid:CamVidDataset", "CamVid, 11 classes (SegNet layout)"),
    "ade20k": ("segkit.data.ade20k:ADE20KDataset", "ADE20K scene parsing (ADEChallengeData2016), 150 classes"),
}


@hookimpl
def segkit_register_datasets(register):
    for name, (target, doc) in DATASETS.items():
        register(Lazy(target, name, doc))

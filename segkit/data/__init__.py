"""Datasets, and the built-in plugin that registers segkit's datasets, metrics and losses.

Registration imports neither torch nor Pillow: each entry is a :class:`~segkit.data.lazy.
Lazy` handle that imports its module on first use and forwards attribute access and calls,
so ``default_registry().get("dataset", "voc").open(path, "train", transform=...)`` works
as on the class itself (``.load()`` gives the class).

Datasets (``segkit train --data NAME[:path]``; see :mod:`segkit.data.base` for the
protocol): ``synthetic`` (generated shapes, no path), ``folder`` (images/ + masks/),
``voc``, ``cityscapes``, ``camvid``, ``ade20k``.

Metrics (see :mod:`segkit.metrics`): ``confusion`` (the :class:`ConfusionMatrix` class);
``miou``, ``pixel_accuracy``, ``mean_accuracy``, ``fw_iou`` (functions of a filled
ConfusionMatrix returning a float).

Losses (see :mod:`segkit.losses`): ``ce``, ``dice``, ``lovasz``, ``ce+dice``, ``ce+lovasz``:
factories ``(ignore_index=255, class_weights=None, aux_weight=0.4, se_weight=0.2, ...) ->
SegLoss`` with that main loss.
"""
from __future__ import annotations

from segkit.data.lazy import Lazy
from segkit.hookspecs import hookimpl

DATASETS = {
    "synthetic": ("segkit.data.synthetic:SyntheticShapes", "procedural shapes on textured backgrounds (no download)"),
    "folder": ("segkit.data.folder:FolderDataset", "images/{split}/* and masks/{split}/*.png of your own"),
    "voc": ("segkit.data.voc:VOCDataset", "PASCAL VOC 2012 segmentation, 21 classes"),
    "cityscapes": ("segkit.data.cityscapes:CityscapesDataset", "Cityscapes gtFine, 19 train ids"),
    "camvid": ("segkit.data.camvid:CamVidDataset", "CamVid, 11 classes (SegNet layout)"),
    "ade20k": ("segkit.data.ade20k:ADE20KDataset", "ADE20K scene parsing (ADEChallengeData2016), 150 classes"),
}
METRICS = {
    "confusion": ("segkit.metrics:ConfusionMatrix", "confusion matrix accumulating IoU, accuracy and fwIoU"),
    "miou": ("segkit.metrics:miou", "mean intersection over union"),
    "pixel_accuracy": ("segkit.metrics:pixel_accuracy", "fraction of labeled pixels predicted correctly"),
    "mean_accuracy": ("segkit.metrics:mean_accuracy", "mean per-class accuracy"),
    "fw_iou": ("segkit.metrics:fw_iou", "frequency-weighted IoU"),
}
LOSSES = {
    "ce": "cross entropy",
    "dice": "soft Dice",
    "lovasz": "Lovasz-Softmax",
    "ce+dice": "cross entropy + soft Dice",
    "ce+lovasz": "cross entropy + Lovasz-Softmax",
}


@hookimpl
def segkit_register_datasets(register):
    for name, (target, doc) in DATASETS.items():
        register(Lazy(target, name, doc))


@hookimpl
def segkit_register_metrics(register):
    for name, (target, doc) in METRICS.items():
        register(Lazy(target, name, doc))


@hookimpl
def segkit_register_losses(register):
    for name, doc in LOSSES.items():
        register(Lazy("segkit.losses:SegLoss", name, doc + " (SegLoss with aux heads and SE-loss)",
                      kwargs={"loss": name}))

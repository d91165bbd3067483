"""The built-in plugin that registers segkit's metrics and losses, as
:class:`~segkit.plugins.lazy.Lazy` handles (registration imports no torch).

Metrics (see :mod:`segkit.train.metrics`): ``confusion`` (the ``ConfusionMatrix``
class); ``miou``, ``pixel_accuracy``, ``mean_accuracy``, ``fw_iou`` (functions of a
filled ConfusionMatrix returning a float).

Losses (see :mod:`segkit.train.losses`): ``ce``, ``dice``, ``lovasz``, ``ce+dice``,
``ce+lovasz``: factories ``(ignore_index=255, class_weights=None, aux_weight=0.4,
se_weight=0.2, ...) -> SegLoss`` with that main loss.
"""
from __future__ import annotations

from segkit.plugins.hookspecs import hookimpl
from segkit.plugins.lazy import Lazy

METRICS = {
    "confusion": ("segkit.train.metrics:ConfusionMatrix", "confusion matrix accumulating IoU, accuracy and fwIoU"),
    "miou": ("segkit.train.metrics:miou", "mean intersection over union"),
    "pixel_accuracy": ("segkit.train.metrics:pixel_accuracy", "fraction of labeled pixels predicted correctly"),
    "mean_accuracy": ("segkit.train.metrics:mean_accuracy", "mean per-class accuracy"),
    "fw_iou": ("segkit.train.metrics:fw_iou", "frequency-weighted IoU"),
}
LOSSES = {
    "ce": "cross entropy",
    "dice": "soft Dice",
    "lovasz": "Lovasz-Softmax",
    "ce+dice": "cross entropy + soft Dice",
    "ce+lovasz": "cross entropy + Lovasz-Softmax",
}


@hookimpl
def segkit_register_metrics(register):
    for name, (target, doc) in METRICS.items():
        register(Lazy(target, name, doc))


@hookimpl
def segkit_register_losses(register):
    for name, doc in LOSSES.items():
        register(Lazy("segkit.train.losses:SegLoss", name, doc + " (SegLoss with aux heads and SE-loss)",
                      kwargs={"loss": name}))

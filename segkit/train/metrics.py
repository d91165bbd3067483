"""Segmentation metrics from one confusion matrix.

:class:`ConfusionMatrix` accumulates ``num_classes x num_classes`` pixel counts (rows:
target class, columns: predicted class) over batches; :meth:`ConfusionMatrix.all_reduce`
sums them across processes. Every metric is then exact arithmetic on the counts:

- ``iou()``: per class ``TP / (TP + FP + FN)``, NaN for a class absent from both the
  predictions and the targets;
- ``miou()``: mean of the non-NaN IoUs;
- ``pixel_accuracy()``: ``sum TP / labeled pixels``;
- ``class_accuracy()`` / ``mean_accuracy()``: per class ``TP / target pixels`` (NaN
  for classes absent from the targets), and their mean;
- ``fw_iou()``: IoU weighted by each class's share of target pixels.

Pixels whose target is ``ignore_index`` (or outside ``[0, num_classes)``) are not counted.
Registered metrics (plugin ``segkit.data``): ``confusion`` (this class) and ``miou``,
``pixel_accuracy``, ``mean_accuracy``, ``fw_iou`` (functions of a ConfusionMatrix).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.distributed as dist


class ConfusionMatrix:
    """Pixel counts of (target, prediction) pairs, accumulated by :meth:`update`."""

    name = "confusion"

    def __init__(self, num_classes: int, ignore_index: int = 255, device=None):
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        self.num_classes = int(num_classes)
        self.ignore_index = ignore_index
        self.mat = torch.zeros(num_classes, num_classes, dtype=torch.int64, device=device)

    def reset(self) -> None:
        self.mat.zero_()

    @torch.no_grad()
    def update(self, pred: torch.Tensor, target: torch.Tensor) -> "ConfusionMatrix":
        """Add a batch: ``pred`` class indices (``N x H x W``) or logits (``N x C x H x W``,
        argmax over C), ``target`` ``N x H x W`` (or any matching shape)."""
        if isinstance(pred, dict):
            pred = pred["out"]
        if pred.dim() == target.dim() + 1:
            if pred.shape[1] != self.num_classes:
                raise ValueError(f"logits have {pred.shape[1]} channels, expected {self.num_classes} classes")
            pred = pred.argmax(1)
        if pred.shape != target.shape:
            raise ValueError(f"prediction shape {tuple(pred.shape)} does not match target shape {tuple(target.shape)}")
        n = self.num_classes
        target = target.to(self.mat.device).long().reshape(-1)
        pred = pred.to(self.mat.device).long().reshape(-1)
        keep = (target >= 0) & (target < n) & (target != self.ignore_index)
        target, pred = target[keep], pred[keep]
        if pred.numel() and (pred.min() < 0 or pred.max() >= n):
            raise ValueError(f"predicted classes must lie in [0, {n})")
        self.mat += torch.bincount(target * n + pred, minlength=n * n).reshape(n, n)
        return self

    def merge(self, other: "ConfusionMatrix") -> "ConfusionMatrix":
        """Add another matrix's counts (same number of classes)."""
        self.mat += other.mat.to(self.mat.device)
        return self

    def all_reduce(self) -> "ConfusionMatrix":
        """Sum the counts over all processes of the default group (a no-op unless
        ``torch.distributed`` is initialized). Every process must call it."""
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            mat = self.mat
            if dist.get_backend() == "nccl" and not mat.is_cuda:
                mat = mat.cuda()
            dist.all_reduce(mat, op=dist.ReduceOp.SUM)
            if mat is not self.mat:
                self.mat.copy_(mat.cpu())
        return self

    # ------------------------------------------------------------------ metrics
    def _counts(self):
        mat = self.mat.double().cpu()
        tp = mat.diag()
        return mat, tp, mat.sum(1), mat.sum(0)

    def iou(self) -> torch.Tensor:
        """Per-class IoU (float64, NaN where the class is in neither pred nor target)."""
        _, tp, target, pred = self._counts()
        union = target + pred - tp
        return torch.where(union > 0, tp / union.clamp(min=1), torch.full_like(tp, math.nan))

    def miou(self) -> float:
        return _nanmean(self.iou())

    def pixel_accuracy(self) -> float:
        mat, tp, _, _ = self._counts()
        total = mat.sum()
        return float(tp.sum() / total) if total > 0 else math.nan

    def class_accuracy(self) -> torch.Tensor:
        """Per-class accuracy (recall), NaN for classes absent from the targets."""
        _, tp, target, _ = self._counts()
        return torch.where(target > 0, tp / target.clamp(min=1), torch.full_like(tp, math.nan))

    def mean_accuracy(self) -> float:
        return _nanmean(self.class_accuracy())

    def fw_iou(self) -> float:
        mat, _, target, _ = self._counts()
        total = mat.sum()
        if total == 0:
            return math.nan
        iou = self.iou()
        present = target > 0
        return float((target[present] / total * iou[present]).sum())

    def summary(self) -> dict[str, float]:
        """``{"miou", "pixel_accuracy", "mean_accuracy", "fw_iou"}``."""
        return {"miou": self.miou(), "pixel_accuracy": self.pixel_accuracy(),
                "mean_accuracy": self.mean_accuracy(), "fw_iou": self.fw_iou()}

    def table(self, class_names: Sequence[str] | None = None) -> list[dict]:
        """One row per class: ``{"class", "iou", "accuracy", "pixels"}`` (target pixels)."""
        names = list(class_names) if class_names is not None else [str(i) for i in range(self.num_classes)]
        if len(names) != self.num_classes:
            raise ValueError(f"{len(names)} class names for {self.num_classes} classes")
        iou, acc = self.iou().tolist(), self.class_accuracy().tolist()
        pixels = self.mat.sum(1).tolist()
        return [{"class": names[k], "iou": iou[k], "accuracy": acc[k], "pixels": int(pixels[k])}
                for k in range(self.num_classes)]

    def __repr__(self) -> str:
        return f"ConfusionMatrix(num_classes={self.num_classes}, pixels={int(self.mat.sum())}, miou={self.miou():.4f})"


def _nanmean(values: torch.Tensor) -> float:
    values = values[~torch.isnan(values)]
    return float(values.mean()) if values.numel() else math.nan


def miou(cm: ConfusionMatrix) -> float:
    """Mean IoU over classes present in predictions or targets."""
    return cm.miou()


def pixel_accuracy(cm: ConfusionMatrix) -> float:
    """Correct labeled pixels / labeled pixels."""
    return cm.pixel_accuracy()


def mean_accuracy(cm: ConfusionMatrix) -> float:
    """Mean per-class accuracy over classes present in the targets."""
    return cm.mean_accuracy()


def fw_iou(cm: ConfusionMatrix) -> float:
    """Frequency-weighted IoU."""
    return cm.fw_iou()


miou.name = "miou"
pixel_accuracy.name = "pixel_accuracy"
mean_accuracy.name = "mean_accuracy"
fw_iou.name = "fw_iou"

"""Training losses: per-pixel criteria and :class:`SegLoss`, which applies one to a
model's main output, its auxiliary heads, and EncNet's SE-loss.

Criteria (``criterion(logits N x C x H x W, target N x H x W) -> scalar``):
:class:`CrossEntropy`, :class:`DiceLoss` (soft Dice), :class:`LovaszSoftmax` (Berman et
al., CVPR 2018); ``ignore_index`` pixels never count.

:class:`SegLoss` takes model outputs as a tensor or a dict: ``"out"`` is the main logits;
``"aux"`` and any key starting with ``aux`` (``aux2``, ``aux_c4``) are auxiliary logits
weighted by ``aux_weight`` (or ``aux_weights[key]``); ``"se"`` is EncNet's ``N x C``
SE-head logits, trained with binary cross entropy against which classes occur in each
target (weight ``se_weight``, 0.2 as in Zhang et al., CVPR 2018). Other keys are ignored.
Logits smaller than the target are upsampled bilinearly first.

Registered losses (plugin ``segkit.data``): ``ce``, ``dice``, ``lovasz``, ``ce+dice``,
``ce+lovasz``: ``registry.get("loss", name)(**kwargs)`` is ``SegLoss(loss=name, **kwargs)``.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from segkit.errors import InputError, SourceLoc

LOSS_NAMES = ("ce", "dice", "lovasz")


def _resize_to(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if logits.shape[-2:] != target.shape[-2:]:
        logits = F.interpolate(logits, size=target.shape[-2:], mode="bilinear", align_corners=False)
    return logits


def _zero(logits: torch.Tensor) -> torch.Tensor:
    return logits.sum() * 0.0


class CrossEntropy(nn.Module):
    """Pixel-wise cross entropy averaged over labeled pixels (torch's ``cross_entropy``
    with ``ignore_index``); 0 (with a gradient path) when no pixel is labeled."""

    def __init__(self, ignore_index: int = 255, class_weights: Sequence[float] | torch.Tensor | None = None,
                 label_smoothing: float = 0.0):
        super().__init__()
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        weights = None if class_weights is None else torch.as_tensor(class_weights, dtype=torch.float32)
        self.register_buffer("class_weights", weights, persistent=False)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if not (target != self.ignore_index).any():
            return _zero(logits)
        weight = None if self.class_weights is None else self.class_weights.to(logits.dtype)
        return F.cross_entropy(logits, target, weight=weight, ignore_index=self.ignore_index,
                               label_smoothing=self.label_smoothing)


class DiceLoss(nn.Module):
    """``1 - mean_c (2 |P_c T_c| + s) / (|P_c| + |T_c| + s)`` over softmax probabilities
    and one-hot targets of the labeled pixels of the whole batch."""

    def __init__(self, ignore_index: int = 255, smooth: float = 1.0):
        super().__init__()
        self.ignore_index = ignore_index
        self.smooth = smooth

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        num_classes = logits.shape[1]
        valid = (target != self.ignore_index) & (target >= 0) & (target < num_classes)
        probs = logits.float().softmax(1) * valid[:, None]
        onehot = F.one_hot(torch.where(valid, target, 0), num_classes).permute(0, 3, 1, 2).float()
        onehot = onehot * valid[:, None]
        dims = (0, 2, 3)
        inter = (probs * onehot).sum(dims)
        denom = probs.sum(dims) + onehot.sum(dims)
        dice = (2 * inter + self.smooth) / (denom + self.smooth)
        return 1.0 - dice.mean()


def lovasz_grad(gt_sorted: torch.Tensor) -> torch.Tensor:
    """Gradient of the Lovasz extension of the Jaccard loss for errors sorted in
    decreasing order, column-wise (``P x C``)."""
    gts = gt_sorted.sum(0, keepdim=True)
    intersection = gts - gt_sorted.cumsum(0)
    union = gts + (1 - gt_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    if gt_sorted.shape[0] > 1:
        jaccard = torch.cat([jaccard[:1], jaccard[1:] - jaccard[:-1]], 0)
    return jaccard


class LovaszSoftmax(nn.Module):
    """Lovasz-Softmax (Berman et al., CVPR 2018) over the labeled pixels of the batch,
    averaged over the classes present in the target (``classes="present"``) or all."""

    def __init__(self, ignore_index: int = 255, classes: str = "present"):
        super().__init__()
        if classes not in ("present", "all"):
            raise ValueError("classes must be 'present' or 'all'")
        self.ignore_index = ignore_index
        self.classes = classes

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        num_classes = logits.shape[1]
        probs = logits.float().softmax(1).permute(0, 2, 3, 1).reshape(-1, num_classes)
        labels = target.reshape(-1)
        valid = (labels != self.ignore_index) & (labels >= 0) & (labels < num_classes)
        if not valid.any():
            return _zero(logits)
        probs, labels = probs[valid], labels[valid]
        fg = F.one_hot(labels, num_classes).float()
        errors = (fg - probs).abs()
        errors_sorted, perm = torch.sort(errors, dim=0, descending=True)
        fg_sorted = fg.gather(0, perm)
        per_class = (errors_sorted * lovasz_grad(fg_sorted)).sum(0)
        if self.classes == "present":
            per_class = per_class[fg.sum(0) > 0]
        return per_class.mean()


def se_target(target: torch.Tensor, num_classes: int, ignore_index: int = 255) -> torch.Tensor:
    """``N x num_classes`` float: 1 where the class occurs in that image's target."""
    flat = target.reshape(target.shape[0], -1).long()
    valid = (flat >= 0) & (flat < num_classes) & (flat != ignore_index)
    index = torch.where(valid, flat, num_classes)
    presence = torch.zeros(target.shape[0], num_classes + 1, device=target.device)
    presence.scatter_(1, index, 1.0)
    return presence[:, :num_classes]


def make_criterion(loss: str, ignore_index: int = 255, class_weights=None) -> nn.Module:
    """The criterion named by ``loss``: ``ce``, ``dice``, ``lovasz`` or a ``+`` sum."""
    parts = [p.strip() for p in str(loss).lower().split("+")]
    unknown = [p for p in parts if p not in LOSS_NAMES]
    if unknown or not parts:
        raise InputError(f"unknown loss {loss!r}", SourceLoc(file="--loss"),
                         f"use one of {', '.join(LOSS_NAMES)} or a sum such as ce+dice")
    if class_weights is not None and "ce" not in parts:
        raise InputError(f"class weights apply to the cross-entropy term, which loss {loss!r} lacks",
                         SourceLoc(file="--class-weights"), "use --loss ce, ce+dice or ce+lovasz")
    terms = []
    for p in parts:
        if p == "ce":
            terms.append(CrossEntropy(ignore_index, class_weights))
        elif p == "dice":
            terms.append(DiceLoss(ignore_index))
        else:
            terms.append(LovaszSoftmax(ignore_index))
    return terms[0] if len(terms) == 1 else SumLoss(terms)


class SumLoss(nn.Module):
    """The sum of several criteria."""

    def __init__(self, terms: Sequence[nn.Module]):
        super().__init__()
        self.terms = nn.ModuleList(terms)

    def forward(self, logits, target):
        return sum(t(logits, target) for t in self.terms)


class SegLoss(nn.Module):
    """Main + auxiliary + SE loss of a segmentation model's outputs; see the module doc.

    After each call ``self.last`` holds the detached parts: ``{"loss", "out", "aux..."
    (unweighted), "se" (unweighted)}``.
    """

    def __init__(self, loss: str = "ce", ignore_index: int = 255,
                 class_weights: Sequence[float] | torch.Tensor | None = None,
                 aux_weight: float = 0.4, aux_weights: Mapping[str, float] | None = None,
                 se_weight: float = 0.2, num_classes: int | None = None):
        super().__init__()
        self.loss = loss
        self.ignore_index = ignore_index
        self.criterion = make_criterion(loss, ignore_index, class_weights)
        self.aux_weight = float(aux_weight)
        self.aux_weights = dict(aux_weights or {})
        self.se_weight = float(se_weight)
        self.num_classes = num_classes
        self.last: dict[str, torch.Tensor] = {}

    def split(self, outputs) -> tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor | None]:
        """``(main logits, {aux name: logits}, se logits or None)`` of model outputs."""
        if isinstance(outputs, torch.Tensor):
            return outputs, {}, None
        if not isinstance(outputs, Mapping):
            raise TypeError(f"model outputs must be a tensor or a dict, not {type(outputs).__name__}")
        if "out" in outputs:
            main_key = "out"
        else:
            candidates = [k for k in outputs if k != "se" and not k.startswith("aux")]
            if not candidates:
                raise KeyError("model outputs have no main output 'out'")
            main_key = candidates[0]
        aux = {k: v for k, v in outputs.items()
               if k != main_key and (k.startswith("aux") or k in self.aux_weights)}
        return outputs[main_key], aux, outputs.get("se")

    def forward(self, outputs, target: torch.Tensor) -> torch.Tensor:
        main, aux, se = self.split(outputs)
        main_loss = self.criterion(_resize_to(main, target), target)
        total = main_loss
        last = {"out": main_loss.detach()}
        for key, logits in aux.items():
            weight = self.aux_weights.get(key, self.aux_weight)
            if weight:
                part = self.criterion(_resize_to(logits, target), target)
                total = total + weight * part
                last[key] = part.detach()
        if se is not None and self.se_weight:
            num_classes = se.shape[1]
            part = F.binary_cross_entropy_with_logits(
                se.float(), se_target(target, num_classes, self.ignore_index).to(se.device))
            total = total + self.se_weight * part
            last["se"] = part.detach()
        last["loss"] = total.detach()
        self.last = last
        return total

    def extra_repr(self) -> str:
        return (f"loss={self.loss!r}, ignore_index={self.ignore_index}, aux_weight={self.aux_weight}, "
                f"se_weight={self.se_weight}")

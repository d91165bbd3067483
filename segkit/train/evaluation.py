"""Inference for evaluation and prediction: padding to a size the spec accepts,
sliding windows, multi-scale and flip test-time augmentation, and the evaluation loop.

Averaging: the windows of one sliding-window pass average their *logits* where they
overlap (so a single window covering the image is exactly plain inference); the
variants of test-time augmentation (scales x flips) average their softmax
*probabilities* after resizing back to the image size.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from segkit.train.metrics import ConfusionMatrix


def main_output(out):
    """The main logits of a model's output: the tensor, or ``out`` of a dict (else its
    first entry)."""
    if isinstance(out, dict):
        return out["out"] if "out" in out else next(iter(out.values()))
    return out


def _accepted(rule, size: int) -> int:
    """The smallest size >= ``size`` the SizeRule accepts (``size`` when no rule, or
    none is); ``segkit sizes --near`` prints the same plan."""
    found = rule.at_least(size) if rule is not None else None
    return size if found is None else found


@dataclass
class Predictor:
    """Logits of an ``N x C x H x W`` batch at its own size.

    ``size_rules`` (one SizeRule per spatial dim, from ``segkit.check``) let inputs of
    any size through: they are zero-padded at the bottom/right to the next accepted size
    and the logits cropped back. Outputs smaller than the input (FCN-style heads) are
    upsampled bilinearly.
    """

    model: torch.nn.Module
    size_rules: list = field(default_factory=list)
    scales: list = field(default_factory=lambda: [1.0])
    flip: bool = False
    window: tuple | None = None
    stride: tuple | None = None
    channels_last: bool = False
    amp: bool = False
    """Autocast: float16 on CUDA, bfloat16 on CPU."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """One forward pass at ``x``'s size (padded to an accepted size as needed)."""
        h, w = x.shape[-2:]
        rules = self.size_rules if len(self.size_rules) == 2 else [None, None]
        ph, pw = _accepted(rules[0], h), _accepted(rules[1], w)
        if (ph, pw) != (h, w):
            x = F.pad(x, (0, pw - w, 0, ph - h))
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        amp_dtype = torch.float16 if x.is_cuda else torch.bfloat16
        with torch.autocast(x.device.type, dtype=amp_dtype, enabled=self.amp):
            out = main_output(self.model(x)).float()
        if tuple(out.shape[-2:]) != (ph, pw):
            out = F.interpolate(out, size=(ph, pw), mode="bilinear", align_corners=False)
        return out[..., :h, :w]

    def sliding(self, x: torch.Tensor) -> torch.Tensor:
        """Logits from windows of ``window`` every ``stride`` (default: 2/3 of the window),
        averaged where they overlap; a plain forward without ``window``."""
        if self.window is None:
            return self.forward(x)
        h, w = x.shape[-2:]
        wh, ww = self.window
        sh, sw = self.stride or (max(1, wh * 2 // 3), max(1, ww * 2 // 3))
        ph, pw = max(h, wh), max(w, ww)
        if (ph, pw) != (h, w):
            x = F.pad(x, (0, pw - w, 0, ph - h))
        total = count = None
        for top in _starts(ph, wh, sh):
            for left in _starts(pw, ww, sw):
                logits = self.forward(x[..., top:top + wh, left:left + ww])
                if total is None:
                    total = x.new_zeros((x.shape[0], logits.shape[1], ph, pw))
                    count = x.new_zeros((1, 1, ph, pw))
                total[..., top:top + wh, left:left + ww] += logits
                count[..., top:top + wh, left:left + ww] += 1
        return (total / count)[..., :h, :w]

    @property
    def variants(self) -> list[tuple[float, bool]]:
        """The (scale, flip) variants of test-time augmentation."""
        return [(s, f) for s in self.scales for f in ((False, True) if self.flip else (False,))]

    @property
    def returns_probabilities(self) -> bool:
        """Whether calls give averaged probabilities (test-time augmentation) rather than
        logits (one plain variant)."""
        return self.variants != [(1.0, False)]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (one variant) or averaged probabilities (several), ``N x K x H x W``."""
        if not self.returns_probabilities:
            return self.sliding(x)
        variants = self.variants
        h, w = x.shape[-2:]
        total = None
        for scale, flip in variants:
            xs = x
            if scale != 1.0:
                size = (max(1, round(h * scale)), max(1, round(w * scale)))
                xs = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
            if flip:
                xs = xs.flip(-1)
            out = self.sliding(xs)
            if flip:
                out = out.flip(-1)
            if tuple(out.shape[-2:]) != (h, w):
                out = F.interpolate(out, size=(h, w), mode="bilinear", align_corners=False)
            prob = out.softmax(1)
            total = prob if total is None else total + prob
        return total / len(variants)


def _starts(size: int, window: int, stride: int) -> list[int]:
    """Window offsets covering ``size``; the last window ends at the border."""
    if size <= window:
        return [0]
    n = math.ceil((size - window) / stride) + 1
    return sorted({min(i * stride, size - window) for i in range(n)})


@torch.inference_mode()
def evaluate(predictor: Predictor, loader, num_classes: int, ignore_index: int, env, progress=None):
    """The confusion matrix of ``predictor`` over ``loader`` (this process's shard),
    summed over all processes."""
    model = predictor.model
    was_training = model.training
    model.eval()
    matrix = ConfusionMatrix(num_classes, ignore_index)
    device = torch.device(env.device)
    try:
        for images, masks in loader:
            pairs = zip(images, masks) if isinstance(images, list) else [(images, masks)]
            for image, mask in pairs:
                if image.dim() == 3:
                    image, mask = image[None], mask[None]
                logits = predictor(image.to(device, non_blocking=True))
                matrix.update(logits.argmax(1), mask.to(device))
            if progress is not None:
                progress()
    finally:
        model.train(was_training)
    if env.initialized:
        matrix.all_reduce()
    return matrix

"""Hide-and-seek (Singh & Lee, "Hide-and-Seek: Forcing a Network to be Meticulous for
Weakly-supervised Object and Action Localization", ICCV 2017, Sec. 3.1): split the image
into a grid of ``patch x patch`` cells and hide each cell independently with
probability ``p`` (0.5 in the paper), filling it with ``fill`` (the paper uses the
dataset's mean pixel, so that hidden cells look like the mean at test time; 0 is the
mean of normalised inputs). The paper draws the patch size per image from {0 (no
hiding), 16, 32, 44, 56}: give ``patch`` as a list to draw one per call. A last cell
that overhangs the image is cut at the border.

For UC-Net's depth correction, hide patches of the depth only: ``channels=[3]`` on the
4-channel RGB-D images of ``rgbd_saliency``, or the batch of depth maps given to the
model, keeping the raw depth as the correction's target (the official UC-Net code has
no hide-and-seek, so this follows the paper's description rather than code).

``mask`` says what happens to the target in hidden cells: ``"keep"`` (default: the
object is still there, as in the paper), ``"ignore"`` (set to ``ignore_index`` so hidden
pixels do not count) or ``"hide"`` (set to 0).

Randomness comes from torch: the global RNG (``torch.manual_seed``) or a
``torch.Generator`` passed as ``generator``, so runs are reproducible. ``last_hidden``
keeps the ``H x W`` (batches: ``N x H x W``) bool map of the last call.
"""
from __future__ import annotations

from typing import Sequence

import torch


class HideAndSeek:
    """A segkit transform ``(image C x H x W, mask H x W) -> (image, mask)``; also takes
    batches (``N x C x H x W``, ``N x H x W``), e.g. to corrupt the depth input of a
    training step while the raw depth stays the target."""

    def __init__(self, patch: int | Sequence[int] = 32, p: float = 0.5, fill: float | Sequence[float] = 0.0,
                 channels: Sequence[int] | None = None, mask: str = "keep", ignore_index: int = 255,
                 generator: torch.Generator | None = None):
        sizes = [patch] if isinstance(patch, int) else list(patch)
        if not sizes or any(not isinstance(s, int) or s < 0 for s in sizes):
            raise ValueError(f"patch must be a non-negative int or a list of them, got {patch!r}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must lie in [0, 1], got {p}")
        if mask not in ("keep", "ignore", "hide"):
            raise ValueError(f"mask must be 'keep', 'ignore' or 'hide', got {mask!r}")
        self.sizes = sizes
        self.p = float(p)
        self.fill = fill
        self.channels = list(channels) if channels is not None else None
        self.mask = mask
        self.ignore_index = ignore_index
        self.generator = generator
        self.last_hidden: torch.Tensor | None = None

    def hidden(self, height: int, width: int, device=None) -> torch.Tensor:
        """A fresh ``height x width`` bool map of hidden pixels (draws from the RNG)."""
        g = self.generator
        if len(self.sizes) == 1:
            size = self.sizes[0]
        else:
            size = self.sizes[int(torch.randint(len(self.sizes), (1,), generator=g))]
        if size == 0:
            return torch.zeros(height, width, dtype=torch.bool, device=device)
        rows, cols = -(-height // size), -(-width // size)
        cells = torch.rand(rows, cols, generator=g) < self.p
        grid = cells.repeat_interleave(size, 0).repeat_interleave(size, 1)[:height, :width]
        return grid.to(device)

    def __call__(self, image: torch.Tensor, mask: torch.Tensor | None = None):
        """Hide cells of ``image`` (``C x H x W``, or a batch ``N x C x H x W`` with cells
        drawn per sample) and, per ``mask``, of the mask (``H x W`` / ``N x H x W``)."""
        if image.dim() == 4:
            outs, hidden = [], []
            for n in range(image.shape[0]):
                outs.append(self(image[n], None if mask is None else mask[n]))
                hidden.append(self.last_hidden)
            self.last_hidden = torch.stack(hidden)
            masks = None if mask is None else torch.stack([m for _, m in outs])
            return torch.stack([x for x, _ in outs]), masks
        hidden = self.hidden(image.shape[-2], image.shape[-1], image.device)
        self.last_hidden = hidden
        image = image.clone()
        channels = self.channels if self.channels is not None else range(image.shape[0])
        fills = self.fill if isinstance(self.fill, (list, tuple)) else [self.fill] * len(list(channels))
        for c, value in zip(channels, fills):
            image[c][hidden] = value
        if mask is not None and self.mask != "keep":
            mask = mask.clone()
            mask[hidden] = self.ignore_index if self.mask == "ignore" else 0
        return image, mask

    def __repr__(self) -> str:
        patch = self.sizes[0] if len(self.sizes) == 1 else self.sizes
        return f"HideAndSeek(patch={patch}, p={self.p}, channels={self.channels}, mask={self.mask!r})"

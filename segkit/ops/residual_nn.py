"""The modules of ``layer_scale`` and ``drop_path`` (segkit/ops/residual.py); imports torch."""
from __future__ import annotations

import torch
from torch import nn


class LayerScale(nn.Module):
    """``x * gamma`` with one learned ``gamma`` per channel (dim 1)."""

    def __init__(self, channels: int, init: float = 1e-6):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((channels,), float(init)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma.view((-1,) + (1,) * (x.dim() - 2))


class DropPath(nn.Module):
    """Zero the whole input of a sample with probability ``p`` in training; identity in eval."""

    def __init__(self, p: float = 0.0, scale_by_keep: bool = True):
        super().__init__()
        self.p = p
        self.scale_by_keep = scale_by_keep

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * (mask / keep if self.scale_by_keep else mask)

    def extra_repr(self) -> str:
        return f"p={self.p}"

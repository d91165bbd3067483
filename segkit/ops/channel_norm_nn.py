"""The modules of ``ln2d`` and ``grn`` (segkit/ops/channel_norm.py); imports torch."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _channels_last(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, *range(2, x.dim()), 1)


def _channels_first(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, x.dim() - 1, *range(1, x.dim() - 1))


class LayerNorm2d(nn.LayerNorm):
    """``nn.LayerNorm`` over dim 1 of an ``N x C x ...`` tensor, computed channels-last
    as ConvNeXt does, so imported networks match to the bit."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _channels_first(F.layer_norm(_channels_last(x), self.normalized_shape, self.weight, self.bias,
                                            self.eps))


class GlobalResponseNorm(nn.Module):
    """GRN of ConvNeXt V2 on an ``N x C x ...`` tensor; ``weight`` is gamma, ``bias`` beta."""

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.zeros(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        view = (1, -1) + (1,) * (x.dim() - 2)
        norm = x.norm(p=2, dim=tuple(range(2, x.dim())), keepdim=True)
        response = norm / (norm.mean(dim=1, keepdim=True) + self.eps)
        return x + torch.addcmul(self.bias.view(view), self.weight.view(view), x * response)

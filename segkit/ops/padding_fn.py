"""The runtime of ``pad_same`` (segkit/ops/padding.py), called inline by compiled graphs;
imports torch, so only compiling a graph imports it."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from segkit.core.block import per_dim
from segkit.ops.padding import same_pad


def pad_same(x: torch.Tensor, *, kernel, stride, dilation, value: float) -> torch.Tensor:
    """Pad ``x`` so a window op of ``kernel``/``stride``/``dilation`` outputs ceil(n / stride)."""
    rank = x.dim() - 2
    flat = []
    for size, k, s, d in reversed(list(zip(x.shape[2:], per_dim(kernel, rank, "kernel"),
                                           per_dim(stride, rank, "stride"), per_dim(dilation, rank, "dilation")))):
        total = same_pad(size, k, s, d)
        flat += [total // 2, total - total // 2]
    return F.pad(x, flat, value=value)

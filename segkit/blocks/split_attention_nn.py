"""The module of the ``split_attention`` block: ResNeSt's Split-Attention conv, the same
operations in the same order as timm's ``SplitAttn`` (so an imported one computes the
same values bit for bit), for any spatial rank 1-3."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

ACTS = {"relu": nn.ReLU, "relu6": nn.ReLU6, "silu": nn.SiLU, "gelu": nn.GELU, "hardswish": nn.Hardswish}


class SplitAttentionConv(nn.Module):
    """Grouped conv into ``radix`` splits, BN, act; attention over the splits from their
    pooled sum (1x1 conv, BN, act, 1x1 conv, r-softmax); the weighted sum of the splits."""

    def __init__(self, channels: int, out: int, rank: int, kernel, stride, padding, dilation, groups: int,
                 radix: int, attn: int, bias: bool, norm: bool, eps: float, act: str):
        super().__init__()
        conv, bn = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[rank - 1], (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)[rank - 1]
        self.radix, self.groups = radix, groups
        self.conv = conv(channels, out * radix, kernel, stride, padding, dilation, groups=groups * radix, bias=bias)
        self.bn0 = bn(out * radix, eps=eps) if norm else nn.Identity()
        self.act0 = ACTS[act]()
        self.fc1 = conv(out, attn, 1, groups=groups)
        self.bn1 = bn(attn, eps=eps) if norm else nn.Identity()
        self.act1 = ACTS[act]()
        self.fc2 = conv(attn, out * radix, 1, groups=groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act0(self.bn0(self.conv(x)))
        batch, mid, spatial = x.shape[0], x.shape[1], x.shape[2:]
        ones = (1,) * len(spatial)
        if self.radix > 1:
            x = x.reshape((batch, self.radix, mid // self.radix, *spatial))
            pooled = x.sum(dim=1)
        else:
            pooled = x
        pooled = pooled.mean(tuple(range(2, 2 + len(spatial))), keepdim=True)
        attn = self.fc2(self.act1(self.bn1(self.fc1(pooled))))
        if self.radix > 1:  # r-softmax: over the splits, per cardinal group and channel
            attn = F.softmax(attn.view(batch, self.groups, self.radix, -1).transpose(1, 2), dim=1)
            attn = attn.reshape(batch, -1)
        else:
            attn = torch.sigmoid(attn)
        attn = attn.view(batch, -1, *ones)
        if self.radix > 1:
            return (x * attn.reshape((batch, self.radix, mid // self.radix, *ones))).sum(dim=1).contiguous()
        return (x * attn).contiguous()

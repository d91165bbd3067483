"""PyTorch modules of ``context_encoding`` (EncNet's Context Encoding Module, Zhang et
al., CVPR 2018); imported by its ``build`` only, so registering the block needs no torch.

Module layout and parameter names follow the official code (zhanghang1989/PyTorch-
Encoding: ``encoding/models/sseg/encnet.py`` EncModule, ``encoding/nn/encoding.py``
Encoding), so its weights load by name: ``encoding.0`` 1x1 conv, ``encoding.1`` BN,
``encoding.3.codewords`` / ``encoding.3.scale``, ``encoding.4`` BN1d, ``fc.0`` gate FC,
``selayer`` SE-loss FC. Distances and aggregation are written as matrix products (see
``Encoding.forward``) so that the MACs are known statically and no B x N x K x D tensor
is formed.
"""
from __future__ import annotations

import math
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoding(nn.Module):
    """Encoding layer: soft-assignment of the N features of a B x D x spatial map to K
    codewords with learnable smoothing factors; aggregated residuals B x K x D."""

    def __init__(self, channels: int, codes: int):
        super().__init__()
        self.channels = channels
        self.codes = codes
        self.codewords = nn.Parameter(torch.empty(codes, channels))
        self.scale = nn.Parameter(torch.empty(codes))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        std = 1.0 / math.sqrt(self.codes * self.channels)
        nn.init.uniform_(self.codewords, -std, std)
        nn.init.uniform_(self.scale, -1.0, 0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = x.flatten(2).transpose(1, 2)  # B x N x D
        # scale_k * ||x_i - c_k||^2 = scale_k * (||x_i||^2 - 2 x_i . c_k + ||c_k||^2): one matmul
        dots = torch.matmul(feats, self.codewords.t())  # B x N x K
        sq_feats = feats.pow(2).sum(2, keepdim=True)  # B x N x 1
        sq_codes = self.codewords.pow(2).sum(1)  # K
        assign = F.softmax(self.scale * (sq_feats - 2 * dots + sq_codes), dim=2)  # B x N x K
        # e_k = sum_i a_ik (x_i - c_k) = (A^T X)_k - (sum_i a_ik) c_k: one batched matmul
        weighted = torch.bmm(assign.transpose(1, 2), feats)  # B x K x D
        return weighted - assign.sum(1).unsqueeze(2) * self.codewords

    def extra_repr(self) -> str:
        return f"N x {self.channels} => {self.codes} x {self.channels}"


class Mean(nn.Module):
    """Mean over one dim (the official code's ``Mean``)."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(self.dim)


class EncModule(nn.Module):
    """Context Encoding Module without the SE-loss head: returns ReLU(x + x * gate)."""

    def __init__(self, channels: int, codes: int, rank: int, conv: bool = True):
        super().__init__()
        self.rank = rank
        layers = []
        if conv:
            layers += [(nn.Conv1d, nn.Conv2d, nn.Conv3d)[rank - 1](channels, channels, 1, bias=False),
                       (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)[rank - 1](channels), nn.ReLU()]
        layers += [Encoding(channels, codes), nn.BatchNorm1d(codes), nn.ReLU(), Mean(1)]
        self.encoding = nn.Sequential(*layers)
        self.fc = nn.Sequential(nn.Linear(channels, channels), nn.Sigmoid())

    def encode(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(gated output, encoded vector B x C)."""
        encoded = self.encoding(x)
        gamma = self.fc(encoded)
        for _ in range(self.rank):
            gamma = gamma.unsqueeze(-1)
        return F.relu(x + x * gamma), encoded

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode(x)[0]


class EncModuleSE(EncModule):
    """Context Encoding Module with the SE-loss head: returns (output, class logits)."""

    def __init__(self, channels: int, codes: int, rank: int, conv: bool, num_classes: int):
        super().__init__(channels, codes, rank, conv)
        self.selayer = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        out, encoded = self.encode(x)
        return out, self.selayer(encoded)

"""The torch module behind the gate block (imported only when a model is built)."""
from __future__ import annotations

import torch
from torch import nn


class GateModule(nn.Module):
    def __init__(self, channels: int, rank: int, bias: bool):
        super().__init__()
        self.score = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[rank - 1](channels, 1, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.score(x))

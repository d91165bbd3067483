"""Torch modules of the Python blocks in :mod:`segkit_saliency.ops` (imported by ``build``)."""
from __future__ import annotations

import torch
import torch.nn as nn


class Reparameterize(nn.Module):
    """``mu + randn_like(mu) * exp(0.5 * logvar)``; ``mu`` in eval mode unless
    ``sample_eval``. Stateless: no parameters or buffers."""

    def __init__(self, sample_eval: bool = True):
        super().__init__()
        self.sample_eval = sample_eval

    def forward(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        if self.training or self.sample_eval:
            return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return mu

    def extra_repr(self) -> str:
        return f"sample_eval={self.sample_eval}"


class TrainSwitch(nn.Module):
    """``train`` in training mode, ``test`` in eval mode."""

    def forward(self, train: torch.Tensor, test: torch.Tensor) -> torch.Tensor:
        return train if self.training else test

"""Helpers of the torchvision interop tests: random weights that expose a wrong mapping,
and the report and output comparisons."""
from __future__ import annotations

import torch

TOL = 1e-5
"""Largest max abs difference accepted between segkit's and torchvision's outputs."""


def randomize_norms(model, seed: int = 1):
    """Random BN affine parameters and running statistics, of moderate size, and random
    conv / linear biases (torchvision initialises them to zero, which would hide a bias
    loaded into the wrong layer); the model in eval mode."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(torch.rand(n, generator=g) * 0.5 + 0.5)
                m.bias.copy_(torch.rand(n, generator=g) * 0.4 - 0.2)
                m.running_mean.copy_(torch.rand(n, generator=g) * 0.4 - 0.2)
                m.running_var.copy_(torch.rand(n, generator=g) + 1.0)
            elif isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.bias is not None:
                m.bias.copy_(torch.rand(m.bias.shape, generator=g) * 0.2 - 0.1)
    return model.eval()


def assert_fits(report, source_keys: int):
    """Every model key got a tensor of its shape and every source key was used."""
    assert report.missing == [] and report.unexpected == [] and report.mismatched == [], report.summary()
    assert report.mapped == source_keys


def max_diff(got: torch.Tensor, expected: torch.Tensor) -> float:
    """Max abs difference of two tensors of the same shape."""
    assert got.shape == expected.shape, f"shapes differ: {tuple(got.shape)} vs {tuple(expected.shape)}"
    return (got - expected).abs().max().item()

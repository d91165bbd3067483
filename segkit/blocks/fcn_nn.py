"""PyTorch module of ``bilinear_deconv`` (FCN's bilinear-initialised transposed
convolution, Long et al., CVPR 2015); imported by its ``build`` only, so registering the
block needs no torch. The weight follows ``surgery.interp`` / ``upsample_filt`` of the
official code (shelhamer/fcn.berkeleyvision.org), extended to any rank as the product of
the 1-D bilinear filters; its key is ``weight`` (and ``bias``) as in ``nn.ConvTranspose2d``,
so the weights of PyTorch ports load by name.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def bilinear_kernel(kernel: tuple[int, ...]) -> torch.Tensor:
    """The bilinear upsampling filter of the given per-dim kernel sizes."""
    filt = torch.ones(())
    for k in kernel:
        factor = (k + 1) // 2
        center = factor - 1 if k % 2 == 1 else factor - 0.5
        og = torch.arange(k, dtype=torch.float64)
        one = 1 - (og - center).abs() / factor
        filt = filt[..., None] * one
    return filt.float()


def bilinear_weight(cin: int, cout: int, kernel: tuple[int, ...]) -> torch.Tensor:
    """ConvTranspose weight (cin x cout x kernel): the bilinear filter from channel c to
    channel c, zero between different channels."""
    weight = torch.zeros(cin, cout, *kernel)
    n = min(cin, cout)
    weight[range(n), range(n)] = bilinear_kernel(kernel)
    return weight


class BilinearDeconvNd(nn.Module):
    """Transposed convolution with a bilinear-initialised weight; a buffer (fixed) unless
    ``trainable``."""

    def __init__(self, cin: int, cout: int, kernel, stride, padding, bias: bool, trainable: bool):
        super().__init__()
        self.stride, self.padding = tuple(stride), tuple(padding)
        self.rank = len(kernel)
        weight = bilinear_weight(cin, cout, tuple(kernel))
        if trainable:
            self.weight = nn.Parameter(weight)
        else:
            self.register_buffer("weight", weight)
        self.bias = nn.Parameter(torch.zeros(cout)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self.rank - 1]
        return fn(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        trainable = isinstance(self.weight, nn.Parameter)
        return (f"{self.weight.shape[0]}, {self.weight.shape[1]}, kernel_size={tuple(self.weight.shape[2:])}, "
                f"stride={self.stride}, padding={self.padding}, trainable={trainable}")

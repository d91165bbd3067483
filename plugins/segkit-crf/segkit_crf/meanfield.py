"""Exact mean-field inference in a fully connected CRF with Gaussian edge potentials
(Krähenbühl & Koltun, "Efficient Inference in Fully Connected CRFs with Gaussian Edge
Potentials", NIPS 2011), as DeepLab post-processes its score maps (Chen et al.,
ICLR 2015; TPAMI 2017). This module imports torch; the plugin imports it lazily.

The energy is ``E(x) = sum_i U_i(x_i) + sum_{i<j} mu(x_i, x_j) k(f_i, f_j)`` with the
unary ``U_i = -log softmax(logits)_i``, Potts compatibility ``mu(l, l') = [l != l']`` and

    k(f_i, f_j) = w1 exp(-|p_i - p_j|^2 / 2 theta_alpha^2 - |I_i - I_j|^2 / 2 theta_beta^2)
                + w2 exp(-|p_i - p_j|^2 / 2 theta_gamma^2)

(positions ``p`` in pixels, colours ``I`` in 0..255 units). Each mean-field step
``Q_i(l) ∝ exp(-U_i(l) + sum_{j != i} k(f_i, f_j) Q_j(l))`` (Potts, up to a per-pixel
constant) is computed exactly, every pixel pair included:

* the appearance term as dense ``(N x N) @ (N x C)`` products, the kernel built in row
  chunks from exact pairwise differences (``torch.cdist`` without the matmul shortcut,
  so no cancellation and no TF32 effects), built once and reused by every iteration
  when it fits in memory (see ``CACHE_ELEMENTS``);
* the smoothness term, a Gaussian of positions only, as one exact (untruncated) 1-D
  Gaussian matrix product per spatial dim (the kernel is separable).

The self-term ``j = i`` (``k(f_i, f_i) = w1 + w2``) is subtracted. Kernel values are
floored at exp(-87) = 1.6e-38 (see ``EXPONENT_FLOOR``). Matrix products per
sample and iteration: ``N^2 C`` (appearance) plus ``C N sum(S_d)`` (smoothness), for N
pixels, C classes and spatial sizes S_d; nothing else is a matrix product. The result is
deterministic: no randomness, no atomics, a fixed order of operations for given shapes.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

CACHE_ELEMENTS = 1 << 28
"""With ``chunk=0`` (auto), the whole appearance kernel (batch x pixels x pixels) is built
once and reused by every iteration when it has at most this many elements (1 GiB in
float32: one 128x128 image); otherwise it is rebuilt each iteration in chunks of
``CHUNK_ELEMENTS``, which costs about ``iterations`` times the kernel-building work."""
CHUNK_ELEMENTS = 1 << 24
"""Elements per chunk (64 MiB in float32) when the kernel is not cached."""
EXPONENT_FLOOR = -87.0
"""Kernel exponents are clamped here: exp(-87) = 1.6e-38, the smallest normal float32s.
Far-apart pairs then weigh 1.6e-38 instead of 0 or a subnormal, a difference far below
float rounding, and exp avoids its slow out-of-range path (about 10x slower on CPU)."""


def chunk_rows(batch: int, n: int, chunk: int) -> int:
    """Rows of the ``n x n`` appearance kernel computed at once (``chunk`` 0 = auto);
    ``n`` rows means one chunk, built once and reused by every iteration."""
    if chunk <= 0:
        chunk = n if batch * n * n <= CACHE_ELEMENTS else CHUNK_ELEMENTS // (batch * n)
    return max(1, min(n, chunk))


def dense_crf(logits: torch.Tensor, image: torch.Tensor, *, iterations: int = 10, w1: float = 4.0,
              theta_alpha: float = 121.0, theta_beta: float = 5.0, w2: float = 3.0,
              theta_gamma: float = 3.0, image_scale: float = 255.0, spacing: float = 1.0,
              max_pixels: int = 16384, chunk: int = 0) -> torch.Tensor:
    """Refine ``logits`` (N, C, *S) with a dense CRF on ``image`` (N, K, *S).

    Returns the log of the final mean-field marginals, shape and dtype of ``logits``
    (log-probabilities: valid logits whose softmax is Q). ``image * image_scale`` must be
    in 0..255 units (the default takes images in [0, 1]); ``spacing`` is the distance
    between neighbouring pixels in the units of ``theta_alpha``/``theta_gamma`` (set it
    to the downsampling factor when running on a downsampled image). Raises ValueError
    if the shapes disagree or there are more than ``max_pixels`` pixels per sample.
    """
    if logits.dim() < 3 or logits.dim() != image.dim() or logits.shape[0] != image.shape[0] \
            or logits.shape[2:] != image.shape[2:]:
        raise ValueError(f"crf: logits {tuple(logits.shape)} and image {tuple(image.shape)} need the same "
                         "batch and spatial sizes")
    batch, classes, spatial = logits.shape[0], logits.shape[1], tuple(logits.shape[2:])
    n = math.prod(spatial)
    if n > max_pixels:
        raise ValueError(f"crf: {n} pixels per sample exceeds max_pixels={max_pixels} "
                         "(exact dense inference costs O(pixels^2)); downsample the logits and image")
    dtype = torch.promote_types(logits.dtype, torch.float32)
    unary = logits.to(dtype).reshape(batch, classes, n)
    if iterations == 0:
        return F.log_softmax(unary, dim=1).reshape(logits.shape).to(logits.dtype)

    device = logits.device
    # Features of the appearance kernel, scaled so that k = exp(-|f_i - f_j|^2 / 2).
    axes = [torch.arange(s, device=device, dtype=dtype) * (spacing / theta_alpha) for s in spatial]
    position = torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).reshape(1, n, len(spatial))
    colour = image.to(dtype).reshape(batch, image.shape[1], n).transpose(1, 2) * (image_scale / theta_beta)
    features = torch.cat([position.expand(batch, n, len(spatial)), colour], dim=2).contiguous()

    rows = chunk_rows(batch, n, chunk)
    starts = list(range(0, n, rows))

    def appearance(start: int) -> torch.Tensor:  # (batch, rows, n)
        block = features[:, start:start + rows]
        kernel = torch.cdist(block, features, compute_mode="donot_use_mm_for_euclid_dist")
        if kernel.requires_grad:  # a differentiable image: autograd needs cdist's output intact
            return torch.exp(kernel.square().mul(-0.5).clamp(min=EXPONENT_FLOOR))
        return kernel.square_().mul_(-0.5).clamp_(min=EXPONENT_FLOOR).exp_()  # in place: no temporaries

    cached = appearance(0) if len(starts) == 1 else None
    # Smoothness kernel: one exact 1-D Gaussian matrix per spatial dim (separable).
    gaussians = []
    for s in spatial:
        coords = torch.arange(s, device=device, dtype=dtype) * (spacing / theta_gamma)
        exponent = (coords[:, None] - coords[None, :]).square().mul(-0.5)
        gaussians.append(torch.exp(exponent.clamp(min=EXPONENT_FLOOR)))

    energy = unary
    for _ in range(iterations):
        q = torch.softmax(energy, dim=1)  # (batch, C, n)
        if cached is not None:
            dense = torch.bmm(q, cached)  # the kernel is symmetric
        else:
            dense = torch.cat([torch.bmm(q, appearance(s).transpose(1, 2)) for s in starts], dim=2)
        smooth = q.reshape(batch, classes, *spatial)
        for dim, gaussian in enumerate(gaussians):
            smooth = torch.matmul(smooth.movedim(2 + dim, -1), gaussian).movedim(-1, 2 + dim)
        # Potts: Q_i(l) ∝ exp(-U_i(l) + sum_{j != i} k_ij Q_j(l)); k_ii = 1 for both kernels.
        message = w1 * (dense - q) + w2 * (smooth.reshape(batch, classes, n) - q)
        energy = unary + message
    return F.log_softmax(energy, dim=1).reshape(logits.shape).to(logits.dtype)


class DenseCRF(nn.Module):
    """``forward(logits, image)``: :func:`dense_crf` with fixed settings. No parameters,
    no buffers: it works for any input size up to ``max_pixels``."""

    def __init__(self, **settings):
        super().__init__()
        self.settings = dict(settings)

    def forward(self, logits: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        return dense_crf(logits, image, **self.settings)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.settings.items())

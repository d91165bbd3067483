"""UC-Net's conditional-VAE loss (Zhang et al., CVPR 2020, Eq. 3-4), registered as
``kl_gaussian``.

``KLGaussianLoss()(outputs, target, depth=None)``:

- saliency term on ``outputs["out"]`` (logits, upsampled bilinearly to the target if
  smaller): binary cross entropy (``sal_loss="bce"``) or the official code's structure
  loss (``"structure"``: boundary-weighted BCE + weighted IoU, Wei et al., AAAI 2020),
  averaged over the batch;
- ``kl_weight`` x KL(posterior || prior) of the diagonal Gaussians ``N(post_mu,
  exp(post_logvar))`` and ``N(prior_mu, exp(prior_logvar))``: summed over the latent
  dims, averaged over the batch (:func:`kl_gaussian`). 0 when the outputs carry no
  posterior (eval mode, or a plain tensor);
- with the raw ``depth`` (``N x C x H x W`` in [0, 1]) and a ``depth`` output,
  ``depth_weight`` x MSE(sigmoid(depth output), depth): the depth correction's term.

Targets: ``N x H x W`` class indices (0/1, ``ignore_index`` pixels not counted), as
segkit datasets give, or ``N x 1 x H x W`` floats in [0, 1]. The official training
weighs ``lat_weight = 10`` times a linear annealing 0 -> 1 over the epochs for the KL
(set ``loss.kl_weight`` as training goes) and adds the prior-branch (GSNN) terms, which
need a second decoder pass the single-graph spec does not make. The official KL uses
``scale = exp(logvar)`` while sampling with ``exp(logvar / 2)``; here ``logvar`` is the
log-variance in both.

After each call ``self.last`` holds the detached parts ``{"loss", "sal", "kl", "depth"}``.
"""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn as nn
import torch.nn.functional as F

KL_KEYS = ("post_mu", "post_logvar", "prior_mu", "prior_logvar")


def kl_gaussian(mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor, logvar_p: torch.Tensor) -> torch.Tensor:
    """Per-sample KL(N(mu_q, exp(logvar_q)) || N(mu_p, exp(logvar_p))) of diagonal
    Gaussians, summed over every non-batch dim: ``N`` values, each >= 0."""
    mu_q, logvar_q, mu_p, logvar_p = (t.float() for t in (mu_q, logvar_q, mu_p, logvar_p))
    terms = 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p) ** 2) / logvar_p.exp() - 1.0)
    return terms.reshape(terms.shape[0], -1).sum(1)


def _target(target: torch.Tensor, ignore_index: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(float target N x 1 x H x W, valid-pixel weight N x 1 x H x W)."""
    if target.is_floating_point():
        t = target if target.dim() == 4 else target[:, None]
        return t, torch.ones_like(t)
    t = target if target.dim() == 3 else target[:, 0]
    valid = (t != ignore_index)
    return (t == 1).float()[:, None], valid.float()[:, None]


def structure_loss(logits: torch.Tensor, target: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Boundary-weighted BCE + weighted IoU (F3Net's, as the official UC-Net training),
    averaged over the batch."""
    weight = (1 + 5 * torch.abs(F.avg_pool2d(target, kernel_size=31, stride=1, padding=15) - target)) * valid
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    wbce = (weight * bce).sum((2, 3)) / weight.sum((2, 3)).clamp(min=1e-8)
    prob = torch.sigmoid(logits)
    inter = (prob * target * weight).sum((2, 3))
    union = ((prob + target) * weight).sum((2, 3))
    wiou = 1 - (inter + 1) / (union - inter + 1)
    return (wbce + wiou).mean()


class KLGaussianLoss(nn.Module):
    """Saliency BCE (or structure loss) + ``kl_weight`` KL(posterior || prior) (+ the depth
    term); see the module doc. ``aux_weight`` is accepted for ``segkit train``'s call and
    unused (UC-Net has no auxiliary heads)."""

    name = "kl_gaussian"

    def __init__(self, kl_weight: float = 1.0, sal_weight: float = 1.0, depth_weight: float = 0.1,
                 sal_loss: str = "bce", ignore_index: int = 255, aux_weight: float = 0.0):
        super().__init__()
        if sal_loss not in ("bce", "structure"):
            raise ValueError(f"sal_loss must be 'bce' or 'structure', got {sal_loss!r}")
        self.kl_weight = float(kl_weight)
        self.sal_weight = float(sal_weight)
        self.depth_weight = float(depth_weight)
        self.sal_loss = sal_loss
        self.ignore_index = ignore_index
        self.last: dict[str, torch.Tensor] = {}

    def forward(self, outputs, target: torch.Tensor, depth: torch.Tensor | None = None) -> torch.Tensor:
        if isinstance(outputs, torch.Tensor):
            outputs = {"out": outputs}
        if not isinstance(outputs, Mapping) or "out" not in outputs:
            raise TypeError("kl_gaussian takes the model's outputs: a logits tensor or a dict with 'out'")
        logits = outputs["out"].float()
        t, valid = _target(target, self.ignore_index)
        t, valid = t.to(logits.device), valid.to(logits.device)
        if logits.shape[-2:] != t.shape[-2:]:
            logits = F.interpolate(logits, size=t.shape[-2:], mode="bilinear", align_corners=False)
        if self.sal_loss == "structure":
            sal = structure_loss(logits, t, valid)
        else:
            bce = F.binary_cross_entropy_with_logits(logits, t, reduction="none")
            sal = (bce * valid).sum() / valid.sum().clamp(min=1)
        total = self.sal_weight * sal
        last = {"sal": sal.detach()}
        if all(key in outputs for key in KL_KEYS):
            kl = kl_gaussian(outputs["post_mu"], outputs["post_logvar"], outputs["prior_mu"],
                             outputs["prior_logvar"]).mean()
            total = total + self.kl_weight * kl
            last["kl"] = kl.detach()
        if depth is not None and "depth" in outputs and self.depth_weight:
            pred = outputs["depth"].float()
            if pred.shape[-2:] != depth.shape[-2:]:
                pred = F.interpolate(pred, size=depth.shape[-2:], mode="bilinear", align_corners=False)
            part = F.mse_loss(torch.sigmoid(pred), depth.to(pred).expand_as(pred))
            total = total + self.depth_weight * part
            last["depth"] = part.detach()
        last["loss"] = total.detach()
        self.last = last
        return total

    def extra_repr(self) -> str:
        return (f"kl_weight={self.kl_weight}, sal_weight={self.sal_weight}, depth_weight={self.depth_weight}, "
                f"sal_loss={self.sal_loss!r}")

"""The ``crf`` prediction post-processor: ``post(logits, image) -> logits`` on batches,
for ``segkit predict --postprocess crf`` and ``segkit eval --postprocess crf``.

Torch-free to import; torch is imported on the first call.
"""
from __future__ import annotations

import math

from segkit.plugin import InputError, SourceLoc
from segkit_crf.block import CRFParams, settings


class CRFPostprocessor:
    """DeepLab's dense CRF applied to a batch of predictions.

    ``post(logits, image)``: ``logits`` (N, C, H, W) and ``image`` (N, 3, H, W) of the
    same size (any spatial rank 1-3 works); returns refined log-probabilities (N, C, H, W)
    in the dtype and on the device of ``logits``. ``image`` is the un-normalised image:
    ``image_scale=None`` (the default) reads values up to 1 as [0, 1] and larger ones as
    0..255, per batch; pass 255.0 or 1.0 to fix it. An image with values below -0.1 (a
    mean/std-normalised one) is an error. Other keyword arguments are the
    ``crf`` block's params (:class:`segkit_crf.block.CRFParams`, DeepLab's defaults).
    Runs without gradients. Errors (size mismatch, more than ``max_pixels`` pixels) are
    ``SegkitError`` s located at ``--postprocess crf``.
    """

    name = "crf"
    description = "fully connected CRF (Krähenbühl & Koltun 2011) as in DeepLab; exact, O(pixels^2)"

    def __init__(self, image_scale: float | None = None, **params):
        self.image_scale = image_scale
        self.params = CRFParams(**({"image_scale": image_scale} if image_scale is not None else {}), **params)

    def __repr__(self) -> str:
        changed = self.params.model_dump(exclude_unset=True)
        return f"CRFPostprocessor({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def configure(self, **options) -> "CRFPostprocessor":
        """A copy with ``options`` (``image_scale`` or any of the block's params) changed;
        ``segkit predict --postprocess crf:iterations=5,theta_alpha=67`` calls this.
        Unknown or invalid options raise pydantic's ValidationError (a ValueError)."""
        params = {**self.params.model_dump(exclude_unset=True), **options}
        image_scale = params.pop("image_scale", self.image_scale)
        return CRFPostprocessor(image_scale=image_scale, **params)

    def __call__(self, logits, image):
        import torch

        from segkit_crf.meanfield import dense_crf

        loc = SourceLoc("--postprocess crf")
        if logits.dim() < 3 or image.dim() != logits.dim() or image.shape[0] != logits.shape[0] \
                or image.shape[2:] != logits.shape[2:]:
            raise InputError(f"crf: logits {tuple(logits.shape)} and image {tuple(image.shape)} need the same "
                             "batch and spatial sizes", loc,
                             "upsample the logits to the image's size before the CRF (DeepLab upsamples "
                             "bilinearly)")
        n = math.prod(image.shape[2:])
        p = self.params
        if n > p.max_pixels:
            raise InputError(f"crf: {'x'.join(map(str, image.shape[2:]))} = {n} pixels exceeds max_pixels="
                             f"{p.max_pixels}; exact dense CRF inference costs pixels^2 x classes MACs per "
                             "iteration", loc,
                             "predict at a lower resolution, or downsample logits and image and use "
                             "CRFPostprocessor(spacing=factor), or CRFPostprocessor(max_pixels=...)")
        if bool(image.min() < -0.1):  # a colour kernel on mean/std-normalised values would be meaningless
            raise InputError("crf: the image has negative values; it looks mean/std-normalised", loc,
                             "pass the un-normalised image, in [0, 1] or 0..255")
        kwargs = settings(p)
        if self.image_scale is None:
            kwargs["image_scale"] = 1.0 if bool(image.max() > 1.0) else 255.0
        with torch.no_grad():
            return dense_crf(logits, image.to(logits.device), **kwargs)

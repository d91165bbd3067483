"""Image pixels as the 8-bit RGB that datasets yield, whatever the stored depth.

Pillow's ``convert("RGB")`` clips 16-bit and 32-bit grayscale (modes ``I;16``, ``I``)
to 0..255, so an image whose values lie in the thousands becomes all white and its
content is lost. Such images are scaled instead: by the smallest ``2**bits - 1`` that
holds the image's maximum (12-bit data in a 16-bit file by 4095, full-range 16-bit by
65535), which keeps black at 0 and the same sensor's images on one scale. Float images
(mode ``F``) are taken as [0, 1] when they fit, else scaled by their maximum.
"""
from __future__ import annotations

# numpy is imported inside the function, as in segkit.data.base: registering a dataset must
# keep `segkit check` free of torch and numpy (optional dependencies there).

WIDE_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")


def rgb8(img):
    """An ``H x W x 3`` uint8 array of the Pillow image ``img``."""
    import numpy as np  # here, not at module level: see the imports

    if img.mode not in WIDE_MODES:
        return np.array(img.convert("RGB"))
    values = np.asarray(img, dtype=np.float64)
    values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0).clip(min=0)
    top = float(values.max(initial=0.0))
    if img.mode == "F":
        scale = 1.0 if top <= 1.0 else top
    else:
        scale = float(2 ** max(8, int(top).bit_length()) - 1)
    gray = np.rint(values * (255.0 / scale)).clip(0, 255).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=2)

"""Joint image + mask transforms: every geometric change applies to both, so a mask pixel
stays on its image pixel.

A transform is a callable ``(image, mask) -> (image, mask)`` on an image float tensor
``C x H x W`` (values in [0, 1] until :class:`Normalize`) and an int64 mask ``H x W``.
Randomness comes only from torch's global RNG, so ``torch.manual_seed`` (and the
DataLoader's per-worker seeding, which derives from it) makes runs reproducible.
Images are resized bilinearly, masks by nearest neighbour (``nearest-exact``: the same
pixel centres as the bilinear image).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _pair(size) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    h, w = size
    return int(h), int(w)


def _uniform(lo: float, hi: float) -> float:
    return lo + (hi - lo) * torch.rand(()).item()


def resize_pair(image: torch.Tensor, mask: torch.Tensor, size: tuple[int, int]):
    """``image`` bilinear and ``mask`` nearest-exact to ``size`` (H, W)."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image, mask
    image = F.interpolate(image[None], size=size, mode="bilinear", align_corners=False)[0]
    mask = F.interpolate(mask[None, None].float(), size=size, mode="nearest-exact")[0, 0].long()
    return image, mask


class Compose:
    """Apply ``transforms`` in order."""

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)

    def __call__(self, image, mask):
        for t in self.transforms:
            image, mask = t(image, mask)
        return image, mask

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(map(repr, self.transforms)) + "])"


class ToTensor:
    """PIL images / numpy arrays (uint8 ``H x W x C`` image, integer mask) to tensors;
    tensors pass through. Datasets already return tensors; this is for custom data."""

    def __call__(self, image, mask):
        if not isinstance(image, torch.Tensor):
            arr = np.array(image)
            if arr.ndim == 2:
                arr = arr[:, :, None]
            image = torch.from_numpy(arr).permute(2, 0, 1).float()
            if arr.dtype == np.uint8:
                image = image.div_(255.0)
        if not isinstance(mask, torch.Tensor):
            mask = torch.from_numpy(np.array(mask).astype(np.int64))
        return image.float(), mask.long()

    def __repr__(self) -> str:
        return "ToTensor()"


class Resize:
    """Resize to a fixed ``size`` (int or (H, W))."""

    def __init__(self, size):
        self.size = _pair(size)

    def __call__(self, image, mask):
        return resize_pair(image, mask, self.size)

    def __repr__(self) -> str:
        return f"Resize({self.size})"


class RandomScale:
    """Rescale both by one factor drawn uniformly from ``[min, max]``."""

    def __init__(self, min: float = 0.5, max: float = 2.0):  # noqa: A002 - the contract's names
        if not 0 < min <= max:
            raise ValueError(f"RandomScale needs 0 < min <= max, got {min}, {max}")
        self.min, self.max = float(min), float(max)

    def __call__(self, image, mask):
        s = _uniform(self.min, self.max)
        h, w = image.shape[-2:]
        size = (max(1, int(round(h * s))), max(1, int(round(w * s))))
        return resize_pair(image, mask, size)

    def __repr__(self) -> str:
        return f"RandomScale({self.min}, {self.max})"


class RandomCrop:
    """A random ``size`` crop; an image smaller than ``size`` is first padded at the
    bottom/right with 0 (mask with ``ignore_index``)."""

    def __init__(self, size, ignore_index: int = 255):
        self.size = _pair(size)
        self.ignore_index = ignore_index

    def __call__(self, image, mask):
        ch, cw = self.size
        h, w = image.shape[-2:]
        ph, pw = max(0, ch - h), max(0, cw - w)
        if ph or pw:
            image = F.pad(image, (0, pw, 0, ph), value=0.0)
            mask = F.pad(mask, (0, pw, 0, ph), value=self.ignore_index)
            h, w = h + ph, w + pw
        top = int(torch.randint(0, h - ch + 1, ()).item())
        left = int(torch.randint(0, w - cw + 1, ()).item())
        return image[:, top:top + ch, left:left + cw], mask[top:top + ch, left:left + cw]

    def __repr__(self) -> str:
        return f"RandomCrop({self.size}, ignore_index={self.ignore_index})"


class RandomFlip:
    """Horizontal flip with probability ``p``."""

    def __init__(self, p: float = 0.5):
        self.p = float(p)

    def __call__(self, image, mask):
        if torch.rand(()).item() < self.p:
            return image.flip(-1), mask.flip(-1)
        return image, mask

    def __repr__(self) -> str:
        return f"RandomFlip({self.p})"


class PhotometricJitter:
    """Random brightness, contrast and saturation factors in ``[1 - x, 1 + x]``, in that
    order, on an image in [0, 1] (clamped). Saturation needs 3 channels and is skipped
    otherwise. The mask is unchanged."""

    def __init__(self, brightness: float = 0.2, contrast: float = 0.2, saturation: float = 0.2):
        self.brightness, self.contrast, self.saturation = float(brightness), float(contrast), float(saturation)

    def __call__(self, image, mask):
        b = _uniform(1 - self.brightness, 1 + self.brightness)
        c = _uniform(1 - self.contrast, 1 + self.contrast)
        s = _uniform(1 - self.saturation, 1 + self.saturation)
        image = (image * b).clamp_(0, 1)
        mean = image.mean()
        image = ((image - mean) * c + mean).clamp_(0, 1)
        if image.shape[0] == 3:
            gray = (0.299 * image[0] + 0.587 * image[1] + 0.114 * image[2])[None]
            image = ((image - gray) * s + gray).clamp_(0, 1)
        return image, mask

    def __repr__(self) -> str:
        return f"PhotometricJitter({self.brightness}, {self.contrast}, {self.saturation})"


class Normalize:
    """``(image - mean) / std`` per channel."""

    def __init__(self, mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD):
        self.mean = torch.tensor(list(mean), dtype=torch.float32).view(-1, 1, 1)
        self.std = torch.tensor(list(std), dtype=torch.float32).view(-1, 1, 1)

    def __call__(self, image, mask):
        if image.shape[0] != self.mean.shape[0]:
            raise ValueError(f"Normalize has {self.mean.shape[0]} channel means but the image has {image.shape[0]} channels")
        return (image - self.mean) / self.std, mask

    def __repr__(self) -> str:
        return f"Normalize({self.mean.flatten().tolist()}, {self.std.flatten().tolist()})"


def train_transforms(crop, mean=IMAGENET_MEAN, std=IMAGENET_STD, scale=(0.5, 2.0), flip: float = 0.5,
                     jitter=(0.2, 0.2, 0.2), ignore_index: int = 255) -> Compose:
    """The usual training augmentation: random scale, random crop (padded), horizontal flip,
    photometric jitter, normalize. ``scale=None`` or ``jitter=None`` leave those out."""
    steps: list[Callable] = []
    if scale is not None:
        steps.append(RandomScale(*scale))
    if crop is not None:
        steps.append(RandomCrop(crop, ignore_index))
    if flip:
        steps.append(RandomFlip(flip))
    if jitter is not None:
        steps.append(PhotometricJitter(*jitter))
    steps.append(Normalize(mean, std))
    return Compose(steps)


def eval_transforms(mean=IMAGENET_MEAN, std=IMAGENET_STD) -> Compose:
    """Evaluation: normalize only (full-resolution images and masks)."""
    return Compose([Normalize(mean, std)])


def pad_collate(batch, ignore_index: int = 255, size_divisor: int = 1):
    """A DataLoader ``collate_fn`` for samples of different sizes: pads images with 0 and
    masks with ``ignore_index`` at the bottom/right up to the largest size (rounded up to
    ``size_divisor``) and stacks them."""
    images, masks = zip(*batch)
    h = max(im.shape[-2] for im in images)
    w = max(im.shape[-1] for im in images)
    h = -(-h // size_divisor) * size_divisor
    w = -(-w // size_divisor) * size_divisor
    out_i = images[0].new_zeros((len(images), images[0].shape[0], h, w))
    out_m = masks[0].new_full((len(masks), h, w), ignore_index)
    for k, (im, m) in enumerate(zip(images, masks)):
        out_i[k, :, :im.shape[-2], :im.shape[-1]] = im
        out_m[k, :m.shape[-2], :m.shape[-1]] = m
    return out_i, out_m

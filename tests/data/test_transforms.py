"""Joint transforms keep mask pixels on their image pixels, pad with ignore, and are
reproducible under torch.manual_seed."""
from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader

from segkit.data.synthetic import SyntheticShapes
from segkit.data.transforms import (
    Compose,
    Normalize,
    PhotometricJitter,
    RandomCrop,
    RandomFlip,
    RandomScale,
    Resize,
    ToTensor,
    eval_transforms,
    pad_collate,
    train_transforms,
)

H, W = 12, 16
IGNORE = -1  # never a coordinate code


def coordinate_sample():
    """Image channels 0/1 hold each pixel's row/column; the mask holds row * W + col."""
    rows = torch.arange(H, dtype=torch.float32)[:, None].expand(H, W)
    cols = torch.arange(W, dtype=torch.float32)[None, :].expand(H, W)
    image = torch.stack([rows, cols, torch.zeros(H, W)])
    mask = torch.arange(H * W).reshape(H, W)
    return image, mask


def misalignment(image, mask):
    """Largest |image coordinate - mask coordinate| over labeled pixels."""
    keep = mask != IGNORE
    rows, cols = torch.div(mask, W, rounding_mode="floor"), mask % W
    return max((image[0] - rows)[keep].abs().max().item(), (image[1] - cols)[keep].abs().max().item())


def test_flip_and_crop_keep_pixels_exactly_aligned():
    image, mask = coordinate_sample()
    torch.manual_seed(0)
    for _ in range(20):
        i, m = Compose([RandomFlip(0.5), RandomCrop((7, 9), IGNORE)])(image, mask)
        assert i.shape == (3, 7, 9) and m.shape == (7, 9)
        assert misalignment(i, m) == 0
    flipped_image, flipped_mask = RandomFlip(1.0)(image, mask)
    assert flipped_mask[0, 0] == W - 1 and flipped_image[1, 0, 0] == W - 1


@pytest.mark.parametrize("lo,hi", [(0.5, 0.8), (1.3, 2.0), (0.9, 1.1)])
def test_scale_keeps_pixels_aligned_within_half_a_pixel(lo, hi):
    image, mask = coordinate_sample()
    torch.manual_seed(1)
    for _ in range(10):
        i, m = RandomScale(lo, hi)(image, mask)
        s = i.shape[-1] / W
        assert lo - 0.1 <= s <= hi + 0.1 and i.shape[-2:] == m.shape
        assert misalignment(i, m) <= 0.5 + 1e-4


def test_full_training_pipeline_keeps_alignment():
    image, mask = coordinate_sample()
    pipeline = train_transforms((10, 10), mean=(0, 0, 0), std=(1, 1, 1), jitter=None, ignore_index=IGNORE)
    torch.manual_seed(2)
    for _ in range(20):
        i, m = pipeline(image, mask)
        assert i.shape == (3, 10, 10) and m.shape == (10, 10)
        assert misalignment(i, m) <= 0.5 + 1e-4


def test_crop_pads_mask_with_ignore_index_and_image_with_zero():
    image, mask = torch.ones(3, 10, 10), torch.zeros(10, 10, dtype=torch.long)
    i, m = RandomCrop(16, ignore_index=255)(image, mask)
    assert i.shape == (3, 16, 16) and m.shape == (16, 16)
    assert (m == 255).sum() == 16 * 16 - 100 and (m == 0).sum() == 100
    assert (i == 0).sum() == 3 * (16 * 16 - 100)
    assert ((m == 255) == (i[0] == 0)).all()  # padding in both at the same pixels
    i, m = RandomCrop((12, 8), ignore_index=7)(image, mask)  # pads H only, crops W
    assert i.shape == (3, 12, 8) and (m == 7).sum() == 2 * 8


def test_transforms_are_reproducible_under_manual_seed():
    image = torch.rand(3, 20, 24)
    mask = torch.randint(0, 5, (20, 24))
    pipeline = train_transforms(16)

    def run(seed):
        torch.manual_seed(seed)
        return [pipeline(image, mask) for _ in range(3)]

    a, b, c = run(0), run(0), run(1)
    for (ia, ma), (ib, mb) in zip(a, b):
        assert torch.equal(ia, ib) and torch.equal(ma, mb)
    assert any(not torch.equal(ia, ic) for (ia, _), (ic, _) in zip(a, c))


def test_dataloader_workers_are_reproducible():
    ds = SyntheticShapes("val", transform=train_transforms(32), size=40, length=8)

    def epoch():
        torch.manual_seed(123)
        loader = DataLoader(ds, batch_size=4, shuffle=True, num_workers=2)
        return [batch for batch in loader]

    first, second = epoch(), epoch()
    for (ia, ma), (ib, mb) in zip(first, second):
        assert ia.shape == (4, 3, 32, 32) and mb.shape == (4, 32, 32)
        assert torch.equal(ia, ib) and torch.equal(ma, mb)


def test_photometric_jitter_changes_only_the_image():
    image, mask = torch.rand(3, 8, 8), torch.randint(0, 3, (8, 8))
    torch.manual_seed(0)
    i, m = PhotometricJitter(0.4, 0.4, 0.4)(image, mask)
    assert m is mask and not torch.equal(i, image)
    assert 0 <= i.min() and i.max() <= 1
    gray, _ = PhotometricJitter()(torch.rand(1, 8, 8), mask)  # no saturation for 1 channel
    assert gray.shape == (1, 8, 8)


def test_normalize_and_eval_transforms():
    image, mask = torch.rand(3, 4, 4), torch.zeros(4, 4, dtype=torch.long)
    i, m = eval_transforms(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))(image, mask)
    assert torch.allclose(i, image * 2 - 1) and m is mask
    with pytest.raises(ValueError, match="channel"):
        Normalize()(torch.rand(1, 4, 4), mask)


def test_resize_to_tensor_and_pad_collate():
    import numpy as np

    i, m = ToTensor()(np.full((4, 6, 3), 255, dtype=np.uint8), np.ones((4, 6), dtype=np.uint8))
    assert i.shape == (3, 4, 6) and i.max() == 1.0 and m.dtype == torch.int64
    i, m = Resize((8, 12))(i, m)
    assert i.shape == (3, 8, 12) and (m == 1).all()
    images, masks = pad_collate([(torch.ones(3, 5, 7), torch.zeros(5, 7, dtype=torch.long)),
                                 (torch.ones(3, 6, 4), torch.ones(6, 4, dtype=torch.long))], size_divisor=4)
    assert images.shape == (2, 3, 8, 8) and masks.shape == (2, 8, 8)
    assert (masks[0, 5:] == 255).all() and (masks[0, :5, :7] == 0).all() and (masks[1, :6, :4] == 1).all()
    assert images[1, :, :, 4:].abs().sum() == 0

"""The generated ``synthetic`` dataset: deterministic, well-formed, every class present."""
from __future__ import annotations

import pytest
import torch

from segkit.api import default_registry
from segkit.data.synthetic import SyntheticShapes
from segkit.errors import InputError


def open_synthetic(split="train", **options):
    return default_registry().get("dataset", "synthetic").open(None, split, **options)


def test_defaults():
    train, val = open_synthetic("train"), open_synthetic("val")
    assert (len(train), len(val)) == (512, 128)
    assert train.num_classes == 5 and train.in_channels == 3 and train.ignore_index == 255
    assert len(train.class_names) == 5 == len(train.palette) and train.class_names[0] == "background"
    image, mask = train[0]
    assert image.shape == (3, 64, 64) and image.dtype == torch.float32
    assert 0 <= image.min() and image.max() <= 1
    assert mask.shape == (64, 64) and mask.dtype == torch.int64
    assert 0 <= mask.min() and mask.max() < 5


def test_deterministic_per_seed_and_index():
    a, b = open_synthetic(seed=3), open_synthetic(seed=3)
    for i in (7, 0, 511, 7):
        ia, ma = a[i]
        ib, mb = b[i]
        assert torch.equal(ia, ib) and torch.equal(ma, mb)
    c = open_synthetic(seed=4)
    assert not torch.equal(a[7][0], c[7][0])
    assert not torch.equal(a[0][1], a[1][1])
    assert not torch.equal(open_synthetic("val")[0][0], open_synthetic("train")[0][0])
    assert torch.equal(a[-1][0], a[511][0])
    with pytest.raises(IndexError):
        a[512]


def test_options_including_strings():
    ds = open_synthetic(size="48x80", length="10", max_shapes=2)
    assert len(ds) == 10 and ds[9][0].shape == (3, 48, 80) and ds[9][1].shape == (48, 80)
    assert open_synthetic(size=32)[0][1].shape == (32, 32)
    assert len(SyntheticShapes("val", length=3)) == 3


def test_every_class_appears_with_a_fair_share():
    ds = open_synthetic("val")
    counts = torch.zeros(5, dtype=torch.long)
    seen_in = torch.zeros(5, dtype=torch.long)
    for i in range(32):
        c = torch.bincount(ds[i][1].flatten(), minlength=5)
        counts += c
        seen_in += c > 0
    share = counts / counts.sum()
    assert (seen_in[1:] >= 4).all(), seen_in
    assert (share[1:] > 0.02).all() and share[0] < 0.9, share


def test_bad_options():
    with pytest.raises(InputError, match="takes no path"):
        default_registry().get("dataset", "synthetic").open("/data", "train")
    with pytest.raises(InputError, match="unknown option 'colour'"):
        open_synthetic(colour=1)
    with pytest.raises(InputError, match="not valid"):
        open_synthetic(length="many")
    with pytest.raises(InputError, match="no split"):
        open_synthetic("training")

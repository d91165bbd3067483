"""Hide-and-seek: reproducible under torch seeds, whole grid cells, the hidden fraction
follows p, and only the chosen channels (and, if asked, the mask) change."""
from __future__ import annotations

import pytest
import torch
from segkit_saliency.hide_and_seek import HideAndSeek


def sample(c=4, h=64, w=64):
    return torch.rand(c, h, w, generator=torch.Generator().manual_seed(7)) + 1.0, torch.ones(h, w, dtype=torch.long)


def test_same_seed_same_patches_other_seed_other_patches():
    image, mask = sample()
    has = HideAndSeek(patch=8, p=0.5)
    torch.manual_seed(0)
    first, _ = has(image, mask)
    torch.manual_seed(0)
    again, _ = has(image, mask)
    torch.manual_seed(1)
    other, _ = has(image, mask)
    assert torch.equal(first, again) and not torch.equal(first, other)
    a = HideAndSeek(patch=8, generator=torch.Generator().manual_seed(3))(image, mask)[0]
    b = HideAndSeek(patch=8, generator=torch.Generator().manual_seed(3))(image, mask)[0]
    assert torch.equal(a, b)


def test_hidden_cells_are_whole_patches_and_the_fraction_follows_p():
    has = HideAndSeek(patch=8, p=0.5, generator=torch.Generator().manual_seed(0))
    image, mask = sample(h=256, w=256)
    out, _ = has(image, mask)
    hidden = has.last_hidden
    cells = hidden.reshape(32, 8, 32, 8).permute(0, 2, 1, 3).reshape(32 * 32, 64)
    assert bool(((cells.all(1)) | (~cells.any(1))).all())            # each 8 x 8 cell all or nothing
    assert 0.45 < hidden.float().mean() < 0.55                        # 1024 cells, p = 0.5
    assert bool((out[:, hidden] == 0).all()) and torch.equal(out[:, ~hidden], image[:, ~hidden])
    for p, lo, hi in ((0.0, 0.0, 0.0), (0.25, 0.2, 0.3), (1.0, 1.0, 1.0)):
        frac = HideAndSeek(patch=8, p=p, generator=torch.Generator().manual_seed(1)).hidden(256, 256).float().mean()
        assert lo <= frac <= hi


def test_border_cells_are_cut_and_patch_lists_are_drawn():
    hidden = HideAndSeek(patch=5, p=1.0).hidden(7, 12)
    assert hidden.shape == (7, 12) and bool(hidden.all())
    has = HideAndSeek(patch=[0, 16], p=1.0, generator=torch.Generator().manual_seed(0))
    fractions = {float(has.hidden(32, 32).float().mean()) for _ in range(20)}
    assert fractions == {0.0, 1.0}                                    # patch 0 hides nothing


def test_channels_fill_and_mask_modes():
    image, mask = sample()
    has = HideAndSeek(patch=16, p=0.5, channels=[3], fill=-1.0, mask="ignore",
                      generator=torch.Generator().manual_seed(2))
    out, out_mask = has(image, mask)
    hidden = has.last_hidden
    assert hidden.any() and (~hidden).any()
    assert torch.equal(out[:3], image[:3])                           # RGB untouched, depth hidden
    assert bool((out[3][hidden] == -1).all()) and torch.equal(out[3][~hidden], image[3][~hidden])
    assert bool((out_mask[hidden] == 255).all()) and bool((out_mask[~hidden] == 1).all())
    assert torch.equal(mask, torch.ones_like(mask))                  # inputs are not modified
    kept = HideAndSeek(patch=16, generator=torch.Generator().manual_seed(2))(image, mask)[1]
    assert torch.equal(kept, mask)
    zeroed = HideAndSeek(patch=16, mask="hide", generator=torch.Generator().manual_seed(2))(image, mask)[1]
    assert bool((zeroed[hidden] == 0).all())
    per_channel = HideAndSeek(patch=16, fill=[0.1, 0.2, 0.3, 0.4], generator=torch.Generator().manual_seed(2))
    out = per_channel(image, mask)[0]
    assert [float(out[c][hidden][0]) for c in range(4)] == pytest.approx([0.1, 0.2, 0.3, 0.4])


def test_bad_settings():
    with pytest.raises(ValueError):
        HideAndSeek(p=1.5)
    with pytest.raises(ValueError):
        HideAndSeek(patch=-1)
    with pytest.raises(ValueError):
        HideAndSeek(mask="drop")


def test_batches_draw_cells_per_sample():
    depth = torch.rand(3, 1, 32, 32) + 1.0
    mask = torch.ones(3, 32, 32, dtype=torch.long)
    has = HideAndSeek(patch=8, mask="hide", generator=torch.Generator().manual_seed(4))
    out, out_mask = has(depth, mask)
    hidden = has.last_hidden
    assert out.shape == depth.shape and hidden.shape == (3, 32, 32)
    assert not torch.equal(hidden[0], hidden[1])
    assert bool((out[:, 0][hidden] == 0).all()) and torch.equal(out[:, 0][~hidden], depth[:, 0][~hidden])
    assert torch.equal(out_mask, (~hidden).long())
    single = HideAndSeek(patch=8, mask="hide", generator=torch.Generator().manual_seed(4))
    assert torch.equal(single(depth[0], mask[0])[0], out[0])      # the same draws, sample by sample

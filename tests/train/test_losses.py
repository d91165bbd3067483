"""Losses: CE equals torch's, aux/SE weighting, Dice and Lovasz behave."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from segkit.api import default_registry
from segkit.errors import InputError
from segkit.train.losses import CrossEntropy, DiceLoss, LovaszSoftmax, SegLoss, SumLoss, se_target


def batch(n=2, c=4, h=6, w=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, h, w, generator=gen)
    target = torch.randint(0, c, (n, h, w), generator=gen)
    target[:, 0, :2] = 255
    return logits, target


def test_cross_entropy_with_ignore_equals_torch():
    logits, target = batch()
    expected = F.cross_entropy(logits, target, ignore_index=255)
    assert torch.allclose(CrossEntropy(255)(logits, target), expected)
    # and by hand: mean of -log p over labeled pixels
    logp = logits.log_softmax(1)
    keep = target != 255
    picked = logp.permute(0, 2, 3, 1)[keep].gather(1, target[keep][:, None])
    assert torch.allclose(expected, -picked.mean())


def test_class_weights():
    logits, target = batch()
    weights = [1.0, 2.0, 0.5, 3.0]
    expected = F.cross_entropy(logits, target, weight=torch.tensor(weights), ignore_index=255)
    assert torch.allclose(CrossEntropy(255, weights)(logits, target), expected)
    assert torch.allclose(SegLoss("ce", class_weights=weights)(logits, target), expected)


def test_all_ignored_gives_zero_with_gradient():
    logits = torch.randn(1, 3, 4, 4, requires_grad=True)
    target = torch.full((1, 4, 4), 255)
    for loss in ("ce", "dice", "lovasz", "ce+dice"):
        value = SegLoss(loss)(logits, target)
        assert math.isfinite(value.item())
        value.backward()
    assert SegLoss("ce")(logits, target).item() == 0


def test_aux_heads_are_weighted_and_upsampled():
    logits, target = batch(h=8, w=8)
    aux = torch.randn(2, 4, 4, 4)
    ce = CrossEntropy(255)
    up = F.interpolate(aux, size=(8, 8), mode="bilinear", align_corners=False)
    loss = SegLoss("ce", aux_weight=0.4)
    assert torch.allclose(loss({"out": logits, "aux": aux}, target), ce(logits, target) + 0.4 * ce(up, target))
    assert set(loss.last) == {"loss", "out", "aux"}
    assert torch.allclose(loss.last["aux"], ce(up, target))
    both = SegLoss("ce", aux_weight=0.4, aux_weights={"aux2": 0.1})
    value = both({"out": logits, "aux": aux, "aux2": logits, "features": aux}, target)
    assert torch.allclose(value, ce(logits, target) * 1.1 + 0.4 * ce(up, target))
    assert torch.allclose(SegLoss("ce")(logits, target), ce(logits, target))
    assert torch.allclose(SegLoss("ce", aux_weight=0)({"out": logits, "aux": aux}, target), ce(logits, target))
    # a low-resolution main output is upsampled as well
    assert torch.allclose(SegLoss("ce")(aux, target), ce(up, target))


def test_se_target_marks_classes_present_per_image():
    target = torch.tensor([[[0, 2], [2, 255]], [[1, 1], [1, 1]]])
    assert se_target(target, 4).tolist() == [[1, 0, 1, 0], [0, 1, 0, 0]]
    assert se_target(torch.full((1, 2, 2), 255), 3).tolist() == [[0, 0, 0]]


def test_se_loss_is_bce_weighted_point_two():
    logits, target = batch()
    se = torch.randn(2, 4)
    expected_se = F.binary_cross_entropy_with_logits(se, se_target(target, 4))
    loss = SegLoss("ce")
    value = loss({"out": logits, "se": se}, target)
    assert torch.allclose(value, CrossEntropy()(logits, target) + 0.2 * expected_se)
    assert torch.allclose(loss.last["se"], expected_se)
    assert torch.allclose(SegLoss("ce", se_weight=0)({"out": logits, "se": se}, target), CrossEntropy()(logits, target))


def test_lovasz_at_hard_predictions_is_one_minus_iou():
    _, target = batch(c=3, seed=3)
    pred = torch.randint(0, 3, target.shape, generator=torch.Generator().manual_seed(4))
    logits = F.one_hot(pred, 3).permute(0, 3, 1, 2).float() * 100
    keep = target != 255
    losses = []
    for c in range(3):
        t, p = (target == c) & keep, (pred == c) & keep
        if t.any():
            losses.append(1 - (t & p).sum().item() / (t | p).sum().item())
    assert LovaszSoftmax()(logits, target).item() == pytest.approx(sum(losses) / len(losses), abs=1e-5)
    perfect = F.one_hot(torch.where(keep, target, 0), 3).permute(0, 3, 1, 2).float() * 100
    assert LovaszSoftmax()(perfect, target).item() == pytest.approx(0, abs=1e-5)


def test_dice_of_a_perfect_prediction_is_near_zero():
    _, target = batch(c=3)
    perfect = F.one_hot(torch.where(target == 255, 0, target), 3).permute(0, 3, 1, 2).float() * 100
    assert DiceLoss()(perfect, target).item() == pytest.approx(0, abs=1e-3)


@pytest.mark.parametrize("name", ["ce", "dice", "lovasz", "ce+dice", "ce+lovasz"])
def test_losses_decrease_on_a_trivial_optimisation(name):
    _, target = batch(n=1, c=3, h=8, w=8, seed=5)
    logits = torch.zeros(1, 3, 8, 8, requires_grad=True)
    loss_fn = default_registry().get("loss", name)(ignore_index=255)
    assert isinstance(loss_fn, SegLoss) and loss_fn.loss == name
    opt = torch.optim.Adam([logits], lr=0.1)
    values = []
    for _ in range(40):
        opt.zero_grad()
        value = loss_fn(logits, target)
        value.backward()
        opt.step()
        values.append(value.item())
    assert all(math.isfinite(v) for v in values)
    assert values[-1] < 0.5 * values[0]
    pred = logits.argmax(1)
    keep = target != 255
    assert (pred[keep] == target[keep]).float().mean() > 0.95


def test_loss_names():
    assert isinstance(SegLoss("ce+dice").criterion, SumLoss)
    with pytest.raises(InputError, match="unknown loss 'focal'"):
        SegLoss("focal")
    assert {"ce", "dice", "lovasz", "ce+dice"} <= set(default_registry().tables["loss"])

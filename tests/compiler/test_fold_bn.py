"""fold_bn: BatchNorm folded into the conv before it, outputs preserved, BN modules gone."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

import segkit
from segkit.export import count_bn, fold_bn
from tests.export._util import EXAMPLES


def randomize(model, seed=0):
    """Non-trivial BN statistics and affine params (the defaults make BN nearly identity)."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g))
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            if m.affine:
                m.weight.data.copy_(torch.randn(m.num_features, generator=g))
                m.bias.data.copy_(torch.randn(m.num_features, generator=g))
    return model


def build(name):
    spec, shape, params = EXAMPLES[name]
    return segkit.build(spec, input=shape, **params).eval(), segkit.Shape.parse(shape)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_fold_preserves_outputs_and_removes_bn(name):
    model, shape = build(name)
    x = torch.randn(2, *shape.as_tuple())
    folded = fold_bn(model)
    with torch.inference_mode():
        assert (folded(x) - model(x)).abs().max() < 1e-5
    assert count_bn(folded) == 0
    assert not any(".bn." in k or k.startswith("bn.") for k in folded.state_dict())
    assert count_bn(model) == sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())  # input untouched
    assert "bn" not in folded.code.replace("segkit", "")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_fold_is_exact_with_random_statistics_in_float64(name):
    # in float64 so that max-unpool (SegNet) picks the same argmax on both sides
    model, shape = build(name)
    model = randomize(model).double()
    x = torch.randn(2, *shape.as_tuple(), dtype=torch.float64)
    with torch.inference_mode():
        assert (fold_bn(model)(x) - model(x)).abs().max() < 1e-10


SPEC = """segkit: 1
name: folds
inputs:
  image: 4
nodes:
  t: {block: conv_transpose, from: image, out: 6, kernel: 3, stride: 2, groups: 2, bias: false}
  tbn: {block: bn}
  c: {block: conv, out: 6, kernel: 3, groups: 3}
  cbn: {block: bn, affine: false}
  shared: {block: conv, out: 6, kernel: 1}
  sbn: {block: bn}
  other: {block: add, from: [shared, sbn]}
  cat: {block: concat, from: [other, cbn]}
  catbn: {block: bn}
outputs:
  out: catbn
"""


def test_grouped_transposed_and_non_affine_fold_and_unfoldable_bns_stay():
    model = randomize(segkit.build(SPEC, input="4x5x5")).eval().double()
    x = torch.randn(2, 4, 5, 5, dtype=torch.float64)
    folded = fold_bn(model)
    with torch.inference_mode():
        assert (folded(x) - model(x)).abs().max() < 1e-10
    remaining = {name for name, m in folded.named_modules() if isinstance(m, nn.BatchNorm2d)}
    assert remaining == {"sbn", "catbn"}  # 'shared' feeds two nodes; 'catbn' follows a concat


def test_fold_inside_python_blocks_sequentials():
    model = nn.Sequential(nn.Conv3d(2, 4, 3), nn.BatchNorm3d(4), nn.ReLU())
    randomize(model).eval().double()
    x = torch.randn(1, 2, 6, 6, 6, dtype=torch.float64)
    folded = fold_bn(model)
    assert count_bn(folded) == 0 and isinstance(folded[1], nn.Identity)
    assert (folded(x) - model(x)).abs().max() < 1e-10


def test_folded_full_spec_matches():
    model = randomize(segkit.build("specs/torchvision/fcn_resnet50.yaml", input="3x64x64", train_heads=False)).eval()
    x = torch.randn(1, 3, 64, 64)
    folded = fold_bn(model)
    assert count_bn(model) == 54 and count_bn(folded) == 0
    with torch.inference_mode():
        expected = model(x)
        assert (folded(x) - expected).abs().max() < 1e-4 * expected.abs().max()

"""torchvision interop: the specs in specs/torchvision are torchvision's segmentation
models exactly (parameters, MACs, state-dict keys through format "torchvision", outputs),
and torchvision ResNets load into the resnet block with features equal to torchvision's.

Models get random weights and random BatchNorm statistics (so a BN mapped onto the wrong
BN shows in the outputs); comparisons run in eval mode on small inputs.
"""
from __future__ import annotations

from pathlib import Path

import pytest

torchvision = pytest.importorskip("torchvision")

import torch  # noqa: E402
from torchvision.models import segmentation as tv_segmentation  # noqa: E402
from torchvision.models._utils import IntermediateLayerGetter  # noqa: E402

import segkit  # noqa: E402
from tests.interop.common import TOL, assert_fits, randomize_norms  # noqa: E402

SPECS = Path(__file__).resolve().parents[2] / "specs" / "torchvision"
REFERENCE = {  # shared REFERENCE.md: params with aux, without aux, GMACs @ 520x520 with aux
    "fcn_resnet50": (35_322_218, 32_957_013, 152.7),
    "fcn_resnet101": (54_314_346, 51_949_141, 232.7),
    "deeplabv3_resnet50": (42_004_074, 39_638_869, 178.7),
    "deeplabv3_resnet101": (60_996_202, 58_630_997, 258.7),
    "deeplabv3_mobilenet_v3_large": (11_029_328, 11_025_477, 10.5),
    "lraspp_mobilenet_v3_large": (3_221_538, 3_221_538, 2.1),
}


def torchvision_segmentation(name: str):
    torch.manual_seed(0)
    kwargs = {} if name.startswith("lraspp") else {"aux_loss": True}
    model = getattr(tv_segmentation, name)(weights=None, weights_backbone=None, **kwargs)
    return randomize_norms(model)


def all_outputs(model, x) -> dict:
    """Every output of a compiled spec, training-only ones included, with every module
    in eval mode (the root's ``training`` flag alone selects the outputs)."""
    model.eval()
    model.training = True
    try:
        with torch.no_grad():
            out = model(x)
    finally:
        model.training = False
    return out if isinstance(out, dict) else {"out": out}


@pytest.fixture(scope="module")
def deeplab50():
    return torchvision_segmentation("deeplabv3_resnet50")


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_torchvision_segmentation_model_loads_and_matches(name, tmp_path, deeplab50):
    tv = deeplab50 if name == "deeplabv3_resnet50" else torchvision_segmentation(name)
    path = SPECS / f"{name}.yaml"
    with_aux, without_aux, gmacs = REFERENCE[name]
    report = segkit.check(path, input="3x520x520")
    assert report.params == with_aux == sum(p.numel() for p in tv.parameters())
    assert segkit.check(path, train_heads=False).params == without_aux
    assert round(report.macs / 1e9, 1) == gmacs

    weights = tmp_path / f"{name}.pth"
    torch.save(tv.state_dict(), weights)
    model = segkit.build(path)
    loaded = segkit.load_weights(model, weights, format="torchvision")
    assert_fits(loaded, len(tv.state_dict()))
    assert sum(p.numel() for p in model.parameters()) == with_aux

    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = tv(x)
    got = all_outputs(model, x)
    assert set(got) == set(expected)
    for key in expected:
        assert got[key].shape == expected[key].shape
        diff = (got[key] - expected[key]).abs().max().item()
        assert diff < TOL, f"{name} {key}: max abs diff {diff}"
    with torch.no_grad():  # eval mode proper: the main output alone
        assert torch.allclose(model.eval()(x), expected["out"], atol=TOL, rtol=0)


def test_deeplab_weights_load_at_output_stride_16_and_8(deeplab50):
    """The same torchvision DeepLab v3 weights build at OS16 (ASPP rates 6/12/18) and OS8."""
    state = deeplab50.state_dict()
    path = SPECS / "deeplabv3_resnet50.yaml"
    x = torch.randn(1, 3, 64, 64)
    for stride in (16, 8):
        model = segkit.build(path, output_stride=stride)
        assert_fits(segkit.load_weights(model, state, format="torchvision"), len(state))
        with torch.no_grad():
            assert model.eval()(x).shape == (1, 21, 64, 64)


def test_deeplab_head_atrous_rates_match_on_large_features():
    """torchvision's DeepLabHead (ASPP 12/24/36 + 3x3 conv + BN) equals the spec's head
    where every atrous tap reaches inside the 40x40 features."""
    torch.manual_seed(0)
    head = randomize_norms(tv_segmentation.deeplabv3.DeepLabHead(16, 3))
    state = {f"classifier.{k}": v for k, v in head.state_dict().items()}
    spec = """
segkit: 1
name: deeplab-head
inputs: {features: 16}
nodes:
  aspp: {block: aspp, rates: [6, 12, 18], output_stride: 8}
  head: {block: conv_bn_act, out: 256, kernel: 3}
  classifier: {block: conv, out: 3, kernel: 1}
outputs: {out: classifier}
"""
    model = segkit.build(spec)
    assert_fits(segkit.load_weights(model, state, format="torchvision"), len(state))
    x = torch.randn(2, 16, 40, 40)
    with torch.no_grad():
        assert (model.eval()(x) - head(x)).abs().max().item() < TOL


def resnet_spec(depth: int) -> str:
    return f"""
segkit: 1
name: resnet{depth}-features
inputs: {{image: 3}}
nodes:
  enc: {{block: resnet, from: image, depth: {depth}}}
outputs: {{c2: enc.c2, c3: enc.c3, c4: enc.c4, c5: enc.c5}}
"""


@pytest.mark.parametrize("depth", [18, 50, 101])
def test_torchvision_resnet_loads_into_the_resnet_block(depth):
    torch.manual_seed(0)
    tv = randomize_norms(getattr(torchvision.models, f"resnet{depth}")(weights=None))
    state = {k: v for k, v in tv.state_dict().items() if not k.startswith("fc.")}
    model = segkit.build(resnet_spec(depth))
    report = segkit.load_weights(model, state, format="torchvision")
    assert_fits(report, len(state))
    layers = IntermediateLayerGetter(tv, {"layer1": "c2", "layer2": "c3", "layer3": "c4", "layer4": "c5"})
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        expected, got = layers(x), model.eval()(x)
    for key in expected:
        diff = (got[key] - expected[key]).abs().max().item()
        assert diff < TOL, f"resnet{depth} {key}: max abs diff {diff}"
    if depth != 50:
        return
    # the classification weights (fc skipped) into DeepLab v3's backbone, at OS16 and OS8 alike
    full = tv.state_dict()
    for stride in (16, 8):
        deeplab = segkit.build(SPECS / "deeplabv3_resnet50.yaml", output_stride=stride)
        loaded = segkit.load_weights(deeplab, full, format="torchvision", strict=False)
        assert loaded.unexpected == [] and loaded.mismatched == []
        assert sorted(loaded.skipped) == ["fc.bias", "fc.weight"]
        assert loaded.mapped == len(state)
        assert loaded.missing and not any(k.startswith("backbone.") for k in loaded.missing)
        assert torch.equal(deeplab.get_submodule("backbone.layer4.2.conv2").weight, tv.layer4[2].conv2.weight)
        with pytest.raises(segkit.SegkitError, match="missing"):
            segkit.load_weights(deeplab, full, format="torchvision")


def test_torchvision_mobilenet_v3_features_load_into_the_mobilenetv3_block():
    torch.manual_seed(0)
    tv = randomize_norms(torchvision.models.mobilenet_v3_large(weights=None))
    spec = """
segkit: 1
name: mobilenetv3-features
inputs: {image: 3}
nodes:
  backbone: {block: mobilenetv3, variant: large}
outputs: {c5: backbone.c5, low: backbone.low}
"""
    model = segkit.build(spec)
    report = segkit.load_weights(model, tv.state_dict(), format="torchvision")
    assert report.missing == [] and report.unexpected == [] and report.mismatched == []
    assert sorted(report.skipped) == ["classifier.0.bias", "classifier.0.weight",
                                      "classifier.3.bias", "classifier.3.weight"]
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        got = model.eval()(x)
        assert (got["c5"] - tv.features(x)).abs().max().item() < TOL
        assert (got["low"] - tv.features[:5](x)).abs().max().item() < TOL

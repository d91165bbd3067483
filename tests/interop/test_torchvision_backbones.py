"""torchvision classification networks load into the backbone specs (VGG16, MobileNetV2,
DenseNet-121/161) through format "torchvision": a state dict file of the torchvision
model at random init loads with zero missing or unexpected keys (the ImageNet
classifier reported as skipped), and the named outputs c2..c5 equal torchvision's
features at the same layers (max abs diff < 1e-5, eval mode, small inputs).
"""
from __future__ import annotations

from pathlib import Path

import pytest

torchvision = pytest.importorskip("torchvision")

import torch  # noqa: E402
from torchvision.models._utils import IntermediateLayerGetter  # noqa: E402

import segkit  # noqa: E402
from tests.interop.common import TOL, assert_fits, max_diff, randomize_norms  # noqa: E402

SPECS = Path(__file__).resolve().parents[2] / "specs"
BACKBONES = SPECS / "backbones"


def torchvision_model(name: str):
    torch.manual_seed(0)
    return randomize_norms(getattr(torchvision.models, name)(weights=None))


def saved(tv, folder: Path) -> Path:
    """``tv``'s whole state dict (classifier included) in a file, as users have it."""
    path = folder / "weights.pth"
    torch.save(tv.state_dict(), path)
    return path


def load_file(model, tv, folder: Path, **options):
    return segkit.load_weights(model, saved(tv, folder), format="torchvision", **options)


@pytest.fixture(scope="module")
def vgg16(tmp_path_factory):
    """torchvision's VGG16 (138 M parameters: built and saved once) and its file."""
    tv = torchvision_model("vgg16")
    return tv, saved(tv, tmp_path_factory.mktemp("vgg16"))


def classifier_keys(tv) -> list[str]:
    return sorted(k for k in tv.state_dict() if k.startswith("classifier."))


def assert_outputs_match(got: dict, expected: dict, what: str):
    for key, value in expected.items():
        diff = max_diff(got[key], value)
        assert diff < TOL, f"{what} {key}: max abs diff {diff}"


def output_strides(path, **params) -> dict[str, int]:
    """Output stride of each named output of a spec, from the static pass."""
    graph = segkit.check(path, **params).graph
    return {name: int(graph.nodes[v.node].meta["grids"][v.output].jump[0]) for name, v in graph.outputs.items()}


def test_torchvision_vgg16_loads_into_the_vgg16_backbone(vgg16):
    tv, path = vgg16
    model = segkit.build(BACKBONES / "vgg16.yaml")
    report = segkit.load_weights(model, path, format="torchvision")
    assert_fits(report, len(tv.state_dict()) - 6)
    assert sorted(report.skipped) == classifier_keys(tv)  # fc6, fc7, fc8: no counterpart
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    pools = {"pool1": 5, "c2": 10, "c3": 17, "c4": 24, "c5": 31}  # features[:n] ends at that max pool
    with torch.no_grad():
        got = model.eval()(x)
        expected = {name: tv.features[:n](x) for name, n in pools.items()}
    assert_outputs_match(got, expected, "vgg16")
    assert torch.equal(got["c5"], got["pool5"]) and torch.equal(got["c3"], got["pool3"])


def test_vgg16_backbone_gives_c2_to_c5_at_strides_4_to_32():
    strides = output_strides(BACKBONES / "vgg16.yaml")
    assert [strides[f"c{k}"] for k in range(2, 6)] == [4, 8, 16, 32]
    assert [strides[f"pool{k}"] for k in range(1, 6)] == [2, 4, 8, 16, 32]
    largefov = output_strides(BACKBONES / "vgg16.yaml", largefov=True)
    assert [largefov[f"c{k}"] for k in range(2, 6)] == [4, 8, 8, 8]


def test_torchvision_vgg16_classifier_loads_as_fcn_fc6_fc7(vgg16):
    """FCN's convolutionalised VGG: fc6 / fc7 are torchvision's Linear layers reshaped,
    so on a 224x224 input (a 7x7 pool5 map) fc7 is torchvision's classifier[:5]."""
    tv, path = vgg16
    model = segkit.build(BACKBONES / "vgg16.yaml", fcn=True)
    report = segkit.load_weights(model, path, format="torchvision")
    assert_fits(report, len(tv.state_dict()) - 2)
    assert sorted(report.skipped) == ["classifier.6.bias", "classifier.6.weight"]
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        got = model.eval()(x)["out"]
        expected = tv.classifier[:5](torch.flatten(tv.avgpool(tv.features(x)), 1))
    assert got.shape == (1, 4096, 1, 1)
    assert max_diff(got.flatten(1), expected) < TOL


def test_torchvision_vgg16_weights_into_fcn32s_leave_only_the_new_layers_missing(vgg16):
    """The ImageNet VGG16 of FCN's recipe: every backbone tensor, fc6 and fc7 included,
    lands under the spec's ``enc`` node; only the layers FCN adds remain."""
    tv, path = vgg16
    model = segkit.build(SPECS / "fcn32s.yaml")
    report = segkit.load_weights(model, path, format="torchvision", strict=False)
    assert report.unexpected == [] and report.mismatched == []
    assert report.mapped == len(tv.state_dict()) - 2
    assert sorted(report.missing) == ["score_fr.bias", "score_fr.weight", "upscore.weight"]
    assert torch.equal(model.get_submodule("enc.fc6.conv").weight.flatten(1), tv.classifier[0].weight)
    assert torch.equal(model.get_submodule("enc.conv5.2.conv").weight, tv.features[28].weight)


def test_torchvision_mobilenet_v2_loads_into_the_mobilenetv2_backbone(tmp_path):
    tv = torchvision_model("mobilenet_v2")
    model = segkit.build(BACKBONES / "mobilenetv2.yaml")
    report = load_file(model, tv, tmp_path)
    assert_fits(report, len(tv.state_dict()) - 2)
    assert sorted(report.skipped) == classifier_keys(tv)
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    ends = {"c2": 4, "c3": 7, "c4": 14, "c5": 19}  # features[:n]: stem, then units by Table 2 rows
    with torch.no_grad():
        got = model.eval()(x)
        expected = {name: tv.features[:n](x) for name, n in ends.items()}
    assert_outputs_match(got, expected, "mobilenet_v2")


@pytest.mark.parametrize("depth", [121, 161])
def test_torchvision_densenet_loads_into_the_densenet_backbone(depth, tmp_path):
    tv = torchvision_model(f"densenet{depth}")
    model = segkit.build(BACKBONES / f"densenet{depth}.yaml")
    report = load_file(model, tv, tmp_path)
    assert_fits(report, len(tv.state_dict()) - 2)
    assert sorted(report.skipped) == ["classifier.bias", "classifier.weight"]  # as ResNet's fc
    layers = IntermediateLayerGetter(tv.features, {"denseblock1": "c2", "denseblock2": "c3",
                                                   "denseblock3": "c4", "norm5": "c5"})
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected, got = layers(x), model.eval()(x)
    assert_outputs_match(got, expected, f"densenet{depth}")

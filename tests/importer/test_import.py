"""segkit.import_model: exact imports of timm and torchvision CNNs, and located refusals."""
from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner
from torch import nn

import segkit
from segkit.cli.group import main
from segkit.importer import ImportRefusal
from segkit.importer.sources import load_source

from .exactness import compare

timm = pytest.importorskip("timm")


def features(name: str):
    return timm.create_model(name, features_only=True, feature_cls="fx", pretrained=False)


@pytest.mark.parametrize("name", ["resnet18", "mobilenetv3_large_100", "efficientnet_b0", "tf_efficientnet_b0"])
def test_timm_features_import_exactly(name):
    diff, params_equal, imported = compare(features(name), name=name)
    assert diff == 0 and params_equal
    assert imported.outputs == ("c1", "c2", "c3", "c4", "c5")


def test_convnext_permute_pairs_and_linear_become_channels_first_ops():
    diff, params_equal, imported = compare(features("convnext_atto"), name="convnext_atto")
    assert diff < 1e-12 and params_equal  # a 1x1 conv sums as the Linear does, up to fp64 rounding
    assert "ln2d" in imported.spec and "layer_scale" in imported.spec and "permute" not in imported.spec


def test_torchvision_classifier_imports_its_last_map_per_stride():
    diff, params_equal, imported = compare(load_source("torchvision:resnet50", input_size=(64, 64)))
    assert diff == 0 and params_equal
    assert imported.outputs == ("c1", "c2", "c3", "c4", "c5")
    assert "fc" not in imported.spec


class Sine(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return torch.sin(self.conv(x))


def tiny():
    """A factory for the CLI test."""
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(3, 2, 1))


def test_an_op_without_segkit_form_is_refused_naming_the_fx_node():
    with pytest.raises(ImportRefusal, match="no segkit form") as info:
        segkit.import_model(Sine(), "3x16x16")
    assert info.value.loc.file == "fx node 'sin' (sin)"


class Doubled(nn.Conv2d):
    """A Conv2d whose own forward differs from Conv2d's."""

    def forward(self, x):
        return 2 * super().forward(x)


def test_a_subclass_with_its_own_forward_is_refused_not_imported_wrongly():
    traced = torch.fx.GraphModule(nn.Sequential(Doubled(3, 4, 3)), _call_module_graph())
    with pytest.raises(ImportRefusal, match="forward differs"):
        segkit.import_model(traced, "3x16x16")


def _call_module_graph():
    graph = torch.fx.Graph()
    graph.output(graph.call_module("0", (graph.placeholder("x"),)))
    return graph


def test_cli_import_writes_a_spec_that_checks_and_weights_that_load(tmp_path):
    spec, weights = tmp_path / "tiny.yaml", tmp_path / "tiny.pt"
    result = CliRunner().invoke(main, ["import", "tests.importer.test_import:tiny", "-o", str(spec),
                                       "--weights", str(weights), "--input", "3x32x32"])
    assert result.exit_code == 0, result.output
    model = segkit.build(str(spec))
    model.load_state_dict(torch.load(weights, weights_only=True), strict=True)
    assert segkit.check(str(spec)).graph.shape(segkit.check(str(spec)).graph.outputs["c1"]).spatial == (16, 16)


def test_cli_refusal_exits_2_without_traceback(tmp_path):
    result = CliRunner().invoke(main, ["import", "tests.importer.test_import:Sine", "-o", str(tmp_path / "s.yaml"),
                                       "--input", "3x16x16"])
    assert result.exit_code == 2 and "fx node 'sin'" in result.output and "Traceback" not in result.output

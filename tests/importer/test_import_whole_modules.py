"""Imports that go beyond op-by-op mapping: modules taken whole (ResNeSt's split
attention), resizes, conv -> bn -> act chains folded into ``conv_bn_act``, HRNet through
timm's own features module, and the located refusals of self-attention and hooks."""
from __future__ import annotations

import pytest
import torch.nn.functional as F
from click.testing import CliRunner
from torch import nn

import segkit
from segkit.cli.group import main
from segkit.importer import ImportRefusal
from segkit.importer.sources import load_source

from .exactness import compare

timm = pytest.importorskip("timm")


@pytest.mark.parametrize("radix, groups", [(2, 1), (1, 2), (4, 2)])
def test_timm_split_attention_imports_whole_and_exactly(radix, groups):
    from timm.layers import SplitAttn

    source = nn.Sequential(nn.Conv2d(3, 16, 1), SplitAttn(16, 32, radix=radix, groups=groups,
                                                          norm_layer=nn.BatchNorm2d))
    diff, params_equal, imported = compare(source, "3x16x16")
    assert diff == 0 and params_equal
    assert "split_attention" in imported.spec and "getattr" not in imported.spec


def test_resnest14d_imports_exactly_and_leaves_timm_leaf_registry_as_it_was():
    from timm.layers import _fx

    leaves = set(_fx.get_notrace_modules())
    diff, params_equal, imported = compare(load_source("timm:resnest14d", input_size=(64, 64)), name="resnest14d")
    assert diff == 0 and params_equal
    assert imported.outputs == ("c1", "c2", "c3", "c4", "c5")
    assert imported.spec.count("block: split_attention") == 4
    assert set(_fx.get_notrace_modules()) == leaves


class Resizes(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")

    def forward(self, x):
        y = self.conv(x)
        return self.up(y), F.interpolate(y, scale_factor=2.0, mode="bilinear", align_corners=False), \
            F.interpolate(y, size=(5, 7), mode="bilinear", align_corners=True)


def test_upsample_and_constant_interpolate_import_as_resize():
    diff, params_equal, imported = compare(Resizes(), "3x16x16")
    assert diff == 0 and params_equal
    assert imported.spec.count("block: resize") == 3


class Sized(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)

    def forward(self, x):
        return F.interpolate(self.conv(x), size=x.shape[2:], mode="bilinear")


def test_a_resize_to_a_run_time_size_is_refused_at_the_shape_read():
    with pytest.raises(ImportRefusal, match="run-time size") as info:
        segkit.import_model(Sized(), "3x16x16")
    assert info.value.loc.file == "fx node 'getattr_1' (getattr)"


def test_conv_bn_act_chains_fold_and_the_rest_stays_apart():
    source = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8, eps=1e-3), nn.SiLU(),
                           nn.Conv2d(8, 8, 1, bias=False), nn.BatchNorm2d(8),  # no act: act none
                           nn.Conv2d(8, 8, 1), nn.BatchNorm2d(8), nn.ReLU())  # a conv bias: kept apart
    diff, params_equal, imported = compare(source, "3x16x16")
    assert diff == 0 and params_equal
    assert imported.spec.count("block: conv_bn_act") == 2 and "act: silu" in imported.spec
    assert "act: none" in imported.spec and imported.spec.count("block: bn") == 1
    assert "m0.conv.weight" in imported.state_dict and "m0.bn.running_var" in imported.state_dict


def test_a_module_with_forward_hooks_is_refused():
    source = nn.Sequential(nn.Conv2d(3, 4, 3))
    source[0].register_forward_hook(lambda m, i, o: None)
    with pytest.raises(ImportRefusal, match="forward hooks") as info:
        segkit.import_model(source, "3x16x16")
    assert info.value.loc.file == "module '0' (Conv2d)"


def test_mobilenetv4_hybrid_attention_is_refused_naming_the_attention_module(tmp_path):
    result = CliRunner().invoke(main, ["import", "timm:mobilenetv4_hybrid_medium", "-o", str(tmp_path / "m.yaml"),
                                       "--input", "3x64x64"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "fx node 'blocks_2_4_attn' (MultiQueryAttention2d)" in result.output
    assert "self-attention" in result.output and "out of scope" in result.output
    assert not (tmp_path / "m.yaml").exists()


@pytest.mark.slow
def test_hrnet_w18_imports_exactly_through_its_own_features_module():
    source = load_source("timm:hrnet_w18", input_size=(64, 64))
    assert type(source).__name__ == "HighResolutionNetFeatures"  # timm's fx extractor cannot tap HRNet
    diff, params_equal, imported = compare(source, name="hrnet_w18")
    assert diff == 0 and params_equal
    assert imported.outputs == ("c1", "c2", "c3", "c4", "c5") and "block: resize" in imported.spec


@pytest.mark.slow
def test_cli_imports_hrnet_w18_and_check_reports_its_output_strides(tmp_path):
    spec = tmp_path / "hrnet.yaml"
    result = CliRunner().invoke(main, ["import", "timm:hrnet_w18", "-o", str(spec), "--input", "3x64x64"])
    assert result.exit_code == 0, result.output
    graph = segkit.check(str(spec), input="3x64x64").graph
    strides = {name: 64 // graph.shape(ref).spatial[0] for name, ref in graph.outputs.items()}
    assert strides == {"c1": 2, "c2": 4, "c3": 8, "c4": 16, "c5": 32}

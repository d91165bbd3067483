"""ResNet backbone blocks (resnet, resnet_bottleneck, resnet_basic): torchvision's
parameter counts, output strides with dilation, naming, and static = compiled."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

import segkit
from segkit.errors import SegkitError

RESNET = Path(segkit.__file__).parent / "blocks" / "resnet.yaml"

# sum(p.numel()) of torchvision.models.resnet{depth}() minus its fc layer
TORCHVISION = {18: 11_176_512, 34: 21_284_672, 50: 23_508_032, 101: 42_500_160, 152: 58_143_808}
# torchvision's published GFLOPS at 224x224 (multiply-adds)
TORCHVISION_GMACS = {18: 1.81, 34: 3.66, 50: 4.09, 101: 7.80, 152: 11.51}


def _stride(report, output: str) -> int:
    value = report.graph.outputs[output]
    jump = report.graph.nodes[value.node].meta["grids"][value.output].jump
    assert len(set(jump)) == 1
    return int(jump[0])


@pytest.mark.parametrize("depth", sorted(TORCHVISION))
def test_params_equal_torchvision(depth):
    report = segkit.check(RESNET, depth=depth)
    assert report.params == TORCHVISION[depth]
    assert round(report.macs / 1e9, 2) == TORCHVISION_GMACS[depth]


def test_deep_stem_adds_reference_params():
    deep = segkit.check(RESNET, depth=101, stem="deep").params
    assert deep - TORCHVISION[101] == 123_776  # REFERENCE.md (DeepLab v3 note)


@pytest.mark.parametrize("output_stride,strides", [(32, [4, 8, 16, 32]), (16, [4, 8, 16, 16]), (8, [4, 8, 8, 8])])
def test_output_strides(output_stride, strides):
    report = segkit.check(RESNET, input="3x256x256", depth=50, output_stride=output_stride)
    names = ["c2", "c3", "c4", "c5"]
    assert [_stride(report, n) for n in names] == strides
    assert [report.outputs[n].spatial for n in names] == [(256 // s,) * 2 for s in strides]
    assert [report.outputs[n].channels for n in names] == [256, 512, 1024, 2048]
    assert report.params == TORCHVISION[50]  # dilation moves no weights


def _dilations(report, layer: str, blocks: int, conv: str = "conv2") -> list[int]:
    return [report.graph.nodes[f"{layer}.{i}.{conv}"].params.dilation for i in range(blocks)]


def test_dilation_layout():
    deeplab = segkit.check(RESNET, input="3x64x64", depth=50, output_stride=8)
    assert _dilations(deeplab, "layer3", 6) == [2] * 6
    assert _dilations(deeplab, "layer4", 3) == [4] * 3
    tv = segkit.check(RESNET, input="3x64x64", depth=50, output_stride=8, dilate_first=False)
    assert _dilations(tv, "layer3", 6) == [1] + [2] * 5  # torchvision replace_stride_with_dilation
    assert _dilations(tv, "layer4", 3) == [2, 4, 4]
    grid = segkit.check(RESNET, input="3x64x64", depth=101, output_stride=16, multi_grid=[1, 2, 4])
    assert _dilations(grid, "layer4", 3) == [2, 4, 8]  # DeepLab v3 multi-grid
    assert [grid.graph.nodes[f"layer4.{i}.conv2"].params.stride for i in range(3)] == [1, 1, 1]
    basic = segkit.check(RESNET, input="3x64x64", depth=18, output_stride=8)
    assert _dilations(basic, "layer4", 2, "conv1") == _dilations(basic, "layer4", 2, "conv2") == [4, 4]


@pytest.mark.parametrize("bad", [{"depth": 42}, {"output_stride": 4}, {"stem": "wide"},
                                 {"output_stride": 16, "multi_grid": [1, 2]}])
def test_bad_params_are_located_errors(bad):
    with pytest.raises(SegkitError) as info:
        segkit.check(RESNET, **bad)
    assert info.value.loc.line > 0


def test_usable_as_block_with_named_outputs():
    spec = """
segkit: 1
name: enc-only
inputs: {image: 4}
nodes:
  enc: {block: resnet, from: image, depth: 18, in_channels: 4, output_stride: 16}
  cat: {block: concat, from: [enc.c4, enc.c5]}
outputs: {out: cat}
"""
    report = segkit.check(spec, input="4x64x64")
    assert report.outputs["out"].as_tuple() == (768, 4, 4)
    assert report.params == TORCHVISION[18] + 64 * 7 * 7  # one more input channel in conv1


def _run(model, report, batch: int = 2):
    x = torch.randn(batch, *report.input_shapes["x"].as_tuple())
    out = model(x)
    assert {k: tuple(v.shape[1:]) for k, v in out.items()} == {k: v.as_tuple() for k, v in report.outputs.items()}
    sum(v.float().mean() for v in out.values()).backward()
    assert all(p.grad is not None for p in model.parameters())
    assert sum(p.numel() for p in model.parameters()) == report.params


def test_resnet18_compiles_like_torchvision():
    report = segkit.check(RESNET, input="3x64x64", depth=18)
    model = segkit.build(RESNET, input="3x64x64", depth=18)
    _run(model, report)
    keys = set(model.state_dict())
    for key in ("conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight", "layer1.1.bn2.bias",
                "layer2.0.downsample.conv.weight", "layer2.0.downsample.bn.running_var", "layer4.1.conv2.weight"):
        assert key in keys, key
    assert not any(k.startswith("layer1.0.downsample") for k in keys)  # 64 -> 64, stride 1: identity
    assert not any(k.startswith("fc") for k in keys)


@pytest.mark.parametrize("output_stride,stem", [(8, "deep"), (16, "standard")])
def test_narrow_bottleneck_resnet_compiles(output_stride, stem):
    kw = dict(input="3x64x64", depth=50, width=8, output_stride=output_stride, stem=stem, multi_grid=[1, 2, 4])
    report = segkit.check(RESNET, **kw)
    _run(segkit.build(RESNET, **kw).train(), report)


def test_weights_load_across_output_strides():
    kw = dict(input="3x32x32", depth=18, width=4)
    os32 = segkit.build(RESNET, output_stride=32, **kw)
    os8 = segkit.build(RESNET, output_stride=8, **kw)
    os8.load_state_dict(os32.state_dict(), strict=True)


def test_resnet_stage_matches_torchvision_layer2_of_resnet50():
    text = """
segkit: 1
name: stage
inputs: {x: 256}
nodes:
  layer2: {block: resnet_stage, blocks: 4, planes: 128, stride: 2}
outputs: {out: layer2}
"""
    report = segkit.check(text, input="256x56x56")
    assert report.params == 1_219_584  # torchvision resnet50().layer2
    assert report.outputs["out"] == segkit.Shape(512, (28, 28))


def test_resnet_stage_multi_grid_rates():
    text = """
segkit: 1
name: stage
inputs: {x: 64}
nodes:
  s: {block: resnet_stage, blocks: 3, planes: 16, dilation: 2, multi_grid: [1, 2, 4]}
outputs: {out: s}
"""
    graph = segkit.check(text).graph
    rates = [graph.nodes[f"s.unit.{k}.conv2"].params.dilation for k in range(3)]
    assert rates == [2, 4, 8]

"""The shipped context / efficient architecture specs (DeepLab v3 / v3+, PSPNet, EncNet,
FastFCN, ENet, ESPNet, ICNet, DenseASPP) and their backbones (specs/backbones/): exact
parameter counts and MACs pinned at the reference inputs and checked against shared
REFERENCE.md, counts with and without the training-only heads, weights loading across
output strides, and the structure the papers describe (strides, widths, named outputs).

Conventions (as REFERENCE.md): params = sum(p.numel() for p in model.parameters()), BN
counted 2 per channel, running statistics excluded; MACs = convolutions, linear layers
and matrix products as torch.utils.flop_counter counts them (FLOPs / 2). Where
REFERENCE.md counts otherwise, the test states the difference explicitly.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

import segkit

SPECS = Path(__file__).resolve().parents[2] / "specs"
ENCODING_PRODUCTS_512 = 2 * 64 * 64 * 32 * 512
"""The Encoding layer's two matrix products (2 N K D) at 64x64 features (512x512 input,
output stride 8), which REFERENCE.md's EncNet / FastFCN GMACs leave out."""


def spec(name: str) -> Path:
    return SPECS / f"{name}.yaml"


def check(name: str, **kw) -> segkit.Report:
    report = segkit.check(spec(name), **kw)
    assert not report.warnings, report.warnings
    return report


def rows(report) -> dict:
    return {r.id: r for r in report.rows}


# -- pinned counts: whole networks ---------------------------------------------------------

# name, params, reference params, with training heads, without, exact MACs of the
# inference network at the spec's example input, REFERENCE GMACs (None: not given),
# MACs REFERENCE leaves out (see the notes in the specs)
NETWORKS = [
    ("deeplab_v3", {"depth": 50, "output_stride": 16}, 39_048_533, 39_048_533, 50_435_832_256, 50.4, 0),
    ("deeplab_v3", {"depth": 50, "output_stride": 8}, 39_048_533, 39_048_533, 166_160_955_840, 166.2, 0),
    ("deeplab_v3", {"depth": 101, "output_stride": 16}, 58_040_661, 58_040_661, 71_061_387_712, 71.1, 0),
    ("deeplab_v3", {"depth": 101, "output_stride": 8}, 58_040_661, 58_040_661, 246_182_050_240, 246.2, 0),
    ("deeplab_v3plus", {"separable": False}, 59_344_309, 59_344_309, 92_820_363_712, 92.8, 0),
    ("deeplab_v3plus", {"separable": True}, 45_688_261, 45_688_261, 60_176_430_448, 60.2, 0),
    ("deeplab_v3plus_xception65", {}, 41_055_413, 41_055_413, 54_035_303_024, 54.04, 0),
    # PSPNet: REFERENCE counts 68,073,706 with aux / 65,708,501 without (21 classes)
    ("pspnet", {"depth": 101}, 68_073_706, 65_708_501, 229_820_720_320, 229.8, 0),
    ("pspnet", {"depth": 101, "num_classes": 19}, 68_072_166, 65_707_475, 229_817_033_920, None, 0),
    ("pspnet", {"depth": 50, "num_classes": 150}, 49_180_908, 46_782_550, 161_874_838_720, 161.9, 0),
    ("pspnet", {"depth": 50, "num_classes": 21}, 49_081_578, 46_716_373, 161_637_065_920, None, 0),
    # EncNet / FastFCN: REFERENCE counts params with aux + SE heads; the SE FC stays
    # in the inference model (the context_encoding block computes it)
    ("encnet", {"depth": 50}, 35_999_071, 33_633_866, 146_656_209_408, 146.5, ENCODING_PRODUCTS_512),
    ("encnet", {"depth": 101}, 54_991_199, 52_625_994, 224_234_056_192, 224.1, ENCODING_PRODUCTS_512),
    ("fastfcn", {"depth": 50}, 47_346_015, 44_980_810, 64_003_254_784, 63.9, ENCODING_PRODUCTS_512),
    ("fastfcn", {"depth": 101}, 66_338_143, 63_972_938, 83_397_716_480, 83.3, ENCODING_PRODUCTS_512),
    ("enet", {}, 364_311, 364_311, 1_723_564_800, 1.72, 0),
    ("espnet_c", {}, 349_449, 349_449, 3_470_155_776, 3.47, 0),
    ("espnet_c", {"q": 3}, 187_529, 187_529, 2_159_435_776, None, 0),
    ("espnet", {}, 364_569, 364_569, 4_709_441_536, 4.71, 0),
    ("espnet", {"q": 3}, 202_649, 202_649, 3_398_721_536, None, 0),
    # ICNet: REFERENCE counts the eval net without the aux heads
    ("icnet", {}, 6_707_324, 6_699_990, 29_236_396_032, None, 0),
    ("dense_aspp", {"depth": 121}, 8_280_851, 8_280_851, 77_195_640_832, 77.2, 0),
    ("dense_aspp", {"depth": 161}, 35_395_427, 35_395_427, 309_869_805_568, 309.9, 0),
]


@pytest.mark.parametrize("name, params, with_heads, without_heads, macs, gmacs, left_out", NETWORKS,
                         ids=[f"{n[0]}-{'-'.join(f'{k}{v}' for k, v in n[1].items())}" for n in NETWORKS])
def test_network_counts(name, params, with_heads, without_heads, macs, gmacs, left_out):
    full = segkit.check(spec(name), **params)
    inference = segkit.check(spec(name), train_heads=False, **params)
    assert full.params == with_heads
    assert inference.params == without_heads
    assert inference.macs == macs
    assert not full.warnings
    if gmacs is not None:
        digits = 2 if gmacs < 10 or name == "deeplab_v3plus_xception65" else 1
        assert round((inference.macs - left_out) / 1e9, digits) == gmacs
        assert abs(inference.macs / 1e9 - gmacs) / gmacs < 0.01  # also within 1% as counted
    if with_heads == without_heads:
        assert full.macs == inference.macs and set(full.outputs) == set(inference.outputs)


def test_training_heads_are_training_only_outputs():
    assert set(check("pspnet").outputs) == {"out", "aux"}
    assert set(check("encnet").outputs) == {"out", "aux", "se"}
    assert set(check("fastfcn").outputs) == {"out", "aux", "se"}
    assert set(check("icnet").outputs) == {"out", "aux_sub4", "aux_sub24"}
    for name in ("pspnet", "encnet", "fastfcn", "icnet"):
        assert set(segkit.check(spec(name), train_heads=False).outputs) == {"out"}
    heads = {name: check(name).params - segkit.check(spec(name), train_heads=False).params
             for name in ("pspnet", "encnet", "fastfcn", "icnet")}
    aux = 1024 * 256 * 9 + 2 * 256 + 256 * 21 + 21  # 3x3 conv 1024 -> 256 + BN, 1x1 classifier
    assert heads["pspnet"] == heads["encnet"] == heads["fastfcn"] == aux == 2_365_205
    assert heads["icnet"] == (256 + 1) * 19 + (128 + 1) * 19  # 1x1 classifiers on both CFFs' inputs


def test_aux_heads_run_in_training_only():
    model = segkit.build(spec("pspnet"), input="3x64x64", depth=50).train()
    x = torch.randn(2, 3, 64, 64)
    out = model(x)
    assert set(out) == {"out", "aux"} and out["aux"].shape == (2, 21, 64, 64)
    with torch.no_grad():
        assert model.eval()(x).shape == (2, 21, 64, 64)
    lean = segkit.build(spec("pspnet"), input="3x64x64", depth=50, train_heads=False)
    assert sum(p.numel() for p in lean.parameters()) == segkit.check(spec("pspnet"), depth=50,
                                                                        train_heads=False).params
    assert not any(k.startswith("aux") for k in lean.state_dict())
    lean.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("aux")})


def test_encnet_se_output_is_class_presence_logits():
    model = segkit.build(spec("encnet"), input="3x64x64").train()
    out = model(torch.randn(2, 3, 64, 64))
    assert out["se"].shape == (2, 21) and out["aux"].shape == out["out"].shape == (2, 21, 64, 64)


# -- backbones ---------------------------------------------------------------------------

@pytest.mark.parametrize("depth, params", [(18, 11_176_512), (34, 21_284_672), (50, 23_508_032),
                                           (101, 42_500_160), (152, 58_143_808)])
def test_resnet_backbone_is_torchvision_without_fc(depth, params):
    report = segkit.check(spec("backbones/resnet"), depth=depth)
    assert report.params == params
    wide = 4 if depth >= 50 else 1
    assert {k: v.as_tuple() for k, v in report.outputs.items()} == {
        "c2": (64 * wide, 56, 56), "c3": (128 * wide, 28, 28), "c4": (256 * wide, 14, 14),
        "c5": (512 * wide, 7, 7)}


def test_resnet_backbone_deep_stem_and_strides():
    report = segkit.check(spec("backbones/resnet"), output_stride=8, multi_grid=[1, 2, 4], input="3x224x224")
    assert report.outputs["c5"].spatial == (28, 28) and report.outputs["c4"].spatial == (28, 28)
    nodes = report.graph.nodes
    assert [nodes[f"backbone.layer4.{k}.conv2"].params.dilation for k in range(3)] == [4, 8, 16]
    assert segkit.check(spec("backbones/resnet"), stem="deep").params == 23_508_032 + 123_776


@pytest.mark.parametrize("name, params, macs, outputs", [
    ("backbones/xception65", 37_867_312, 48_570_448_320,
     {"low": (256, 129, 129), "c2": (128, 129, 129), "c3": (256, 65, 65), "c4": (728, 33, 33),
      "c5": (2048, 33, 33)}),
    ("backbones/mobilenetv2", 2_223_872, 299_494_272,  # torchvision mobilenet_v2().features
     {"c2": (24, 56, 56), "c3": (32, 28, 28), "c4": (96, 14, 14), "c5": (1280, 7, 7)}),
    ("backbones/densenet121", 6_953_856, 2_833_137_664,  # torchvision densenet121().features
     {"c2": (256, 56, 56), "c3": (512, 28, 28), "c4": (1024, 14, 14), "c5": (1024, 7, 7)}),
    ("backbones/densenet161", 26_472_000, 7_725_699_072,  # torchvision densenet161().features
     {"c2": (384, 56, 56), "c3": (768, 28, 28), "c4": (2112, 14, 14), "c5": (2208, 7, 7)}),
])
def test_backbone_counts_and_outputs(name, params, macs, outputs):
    report = check(name)
    assert report.params == params and report.macs == macs
    assert {k: v.as_tuple() for k, v in report.outputs.items()} == outputs


@pytest.mark.parametrize("name, os, strides", [
    ("backbones/xception65", 32, {"low": "4", "c2": "4", "c3": "8", "c4": "16", "c5": "32"}),
    ("backbones/xception65", 16, {"low": "4", "c2": "4", "c3": "8", "c4": "16", "c5": "16"}),
    ("backbones/xception65", 8, {"low": "4", "c2": "4", "c3": "8", "c4": "8", "c5": "8"}),
    ("backbones/mobilenetv2", 16, {"c2": "4", "c3": "8", "c4": "16", "c5": "16"}),
    ("backbones/mobilenetv2", 8, {"c2": "4", "c3": "8", "c4": "8", "c5": "8"}),
    ("backbones/densenet121", 16, {"c2": "4", "c3": "8", "c4": "16", "c5": "16"}),
    ("backbones/densenet121", 8, {"c2": "4", "c3": "8", "c4": "8", "c5": "8"}),
])
def test_backbone_output_strides(name, os, strides):
    report = segkit.check(spec(name), output_stride=os, input="3x128x128")
    assert {out: str(128 // shape.spatial[0]) for out, shape in report.outputs.items()} == strides


def test_backbone_dilations_follow_the_official_code():
    # TF stack_blocks_dense at output stride 8: the block that would reach stride 16
    # keeps stride 1 and the current rate, later blocks multiply the rate
    x65 = segkit.check(spec("backbones/xception65"), output_stride=8, input="3x65x65").graph.nodes
    sep = {n.removesuffix(".conv"): x65[n].params for n in x65 if n.endswith(".conv") and x65[n].op == "sepconv"}
    assert [sep[f"entry3.sep.{j}"].stride for j in range(3)] == [1, 1, 1]
    assert {sep[f"entry3.sep.{j}"].dilation for j in range(3)} == {1}
    assert {sep[f"middle.{k}.sep.{j}"].dilation for k in range(16) for j in range(3)} == {2}
    assert [(sep[f"exit1.sep.{j}"].stride, sep[f"exit1.sep.{j}"].dilation) for j in range(3)] == [(1, 2)] * 3
    assert [sep[f"exit2.{j}"].dilation for j in range(3)] == [4, 4, 4]
    mb = segkit.check(spec("backbones/mobilenetv2"), output_stride=8, input="3x64x64").graph.nodes
    rates = [(mb[f"s{s}.{u}.depthwise.conv"].params.stride, mb[f"s{s}.{u}.depthwise.conv"].params.dilation)
             for s, n in enumerate([1, 2, 3, 4, 3, 3, 1]) for u in range(n)]
    assert rates == [(1, 1), (2, 1), (1, 1), (2, 1), (1, 1), (1, 1), (1, 1), (1, 2), (1, 2), (1, 2), (1, 2),
                     (1, 2), (1, 2), (1, 2), (1, 4), (1, 4), (1, 4)]
    dn = segkit.check(spec("backbones/densenet121"), output_stride=8, extra_transition=True,
                      input="3x64x64").graph.nodes
    assert "transition2.pool" not in dn and "transition3.pool" not in dn and "transition1.pool" in dn
    assert dn["denseblock3.denselayer1.conv2"].params.dilation == 2
    assert dn["denseblock4.denselayer16.conv2"].params.dilation == 4
    assert "transition4.pool" not in dn and dn["norm5"].meta["shapes"]["out"].channels == 512


def test_densenet_backbone_keys_are_torchvision_features():
    model = segkit.build("""segkit: 1
name: t
inputs: {image: {channels: 3, size: 32}}
nodes:
  features: {block: %s, from: image}
outputs: {out: features.c5}
""" % (SPECS / "backbones/densenet121.yaml"), input="3x32x32")
    keys = set(model.state_dict())
    assert {"features.conv0.weight", "features.norm0.running_mean", "features.denseblock1.denselayer1.norm1.weight",
            "features.denseblock4.denselayer16.conv2.weight", "features.transition3.conv.weight",
            "features.norm5.bias"} <= keys


# -- output strides and weights across them --------------------------------------------------

def _capture(model, module: str):
    seen = {}
    model.get_submodule(module).register_forward_hook(lambda m, i, o: seen.setdefault("out", o))
    return seen


def test_deeplab_v3_os16_weights_load_into_os8():
    os16 = segkit.build(spec("deeplab_v3"), input="3x64x64", depth=50, output_stride=16)
    os8 = segkit.build(spec("deeplab_v3"), input="3x64x64", depth=50, output_stride=8)
    os8.load_state_dict(os16.state_dict(), strict=True)  # same keys and shapes
    os16.load_state_dict(os8.state_dict(), strict=True)
    for a, b in zip(os16.state_dict().values(), os8.state_dict().values()):
        assert torch.equal(a, b)
    # OS8 evaluation: logits before the upsampling at stride 8, ASPP rates 12/24/36,
    # block 4 rates 4 x (1, 2, 4)
    seen = _capture(os8, "logits")
    with torch.no_grad():
        out = os8.eval()(torch.randn(1, 3, 64, 64))
    assert out.shape == (1, 21, 64, 64) and seen["out"].shape == (1, 21, 8, 8)
    assert os8.aspp.b1.conv.dilation == (12, 12) and os16.aspp.b1.conv.dilation == (6, 6)
    assert [os8.get_submodule(f"backbone.layer4.{k}.conv2").dilation for k in range(3)] == [(4, 4), (8, 8), (16, 16)]
    assert [os16.get_submodule(f"backbone.layer4.{k}.conv2").dilation for k in range(3)] == [(2, 2), (4, 4), (8, 8)]
    report = segkit.check(spec("deeplab_v3"), depth=50, output_stride=8, input="3x64x64")
    assert rows(report)["logits"].stride == "8" and rows(report)["logits"].shapes["out"].spatial == (8, 8)
    assert rows(segkit.check(spec("deeplab_v3"), depth=50, input="3x64x64"))["logits"].stride == "16"


@pytest.mark.parametrize("name, fields", [("deeplab_v3plus", {"depth": 50}), ("deeplab_v3plus_xception65", {}),
                                          ("backbones/mobilenetv2", {})])
def test_weights_load_across_output_strides(name, fields):
    os16 = segkit.build(spec(name), input="3x65x65", output_stride=16, **fields)
    os8 = segkit.build(spec(name), input="3x65x65", output_stride=8, **fields)
    os8.load_state_dict(os16.state_dict(), strict=True)


def test_deeplab_v3plus_decoder_at_stride_4():
    for name in ("deeplab_v3plus", "deeplab_v3plus_xception65"):
        report = check(name)
        r = rows(report)
        assert r["logits"].stride == "4" and r["logits"].shapes["out"].spatial == (129, 129)
        concat = report.graph.nodes["decoder.concat"].meta["shapes"]["out"]
        assert concat.as_tuple() == (304, 129, 129)  # 256 upsampled ASPP + 48 low-level


# -- structure ----------------------------------------------------------------------------

def test_pspnet_structure():
    report = check("pspnet")
    r = rows(report)
    assert r["ppm"].shapes["out"].as_tuple() == (4096, 60, 60)  # 2048 + 4 x 512 at 473 / 8
    assert r["aux_conv"].shapes["out"].as_tuple() == (256, 60, 60)
    assert report.graph.nodes["backbone.conv1"].params.kernel == 3  # deep stem


def test_encnet_and_fastfcn_heads():
    enc = rows(check("encnet"))
    assert enc["conv5"].params == 2048 * 512 * 9 + 1024 and enc["conv5"].stride == "8"
    assert enc["encode"].params == 553_077  # EncModule(512, 21, ncodes=32, se_loss=True)
    fast = rows(check("fastfcn"))
    assert fast["jpu"].params == 19_735_552 and fast["jpu"].shapes["out"].as_tuple() == (2048, 64, 64)
    assert fast["conv5"].params == 2048 * 512 + 1024  # 1x1 with JPU (official EncHead(jpu=True))
    assert fast["backbone"].shapes["c5"].spatial == (16, 16)  # undilated, output stride 32
    # FastFCN - EncNet = JPU - the 3x3 conv5 turned 1x1
    assert 47_346_015 - 35_999_071 == 19_735_552 - 2048 * 512 * 8


def _fastfcn_without_se() -> str:
    data = yaml.safe_load(spec("fastfcn").read_text())
    del data["outputs"]["se"]
    return yaml.safe_dump(data, sort_keys=False)


@pytest.mark.parametrize("head, depth, params, without_aux", [
    ("psp", 50, 68_817_130, 66_451_925), ("psp", 101, 87_809_258, 85_444_053),
    ("deeplab", 50, 61_863_402, 59_498_197), ("deeplab", 101, 80_855_530, 78_490_325),
])
def test_fastfcn_psp_and_deeplab_heads(head, depth, params, without_aux):
    text = _fastfcn_without_se()
    report = segkit.check(text, head=head, depth=depth)
    assert report.params == params and not report.warnings
    assert segkit.check(text, head=head, depth=depth, train_heads=False).params == without_aux
    r = rows(report)
    if head == "psp":  # official PSPHead: pyramid pooling (4,198,400) + 3x3 conv 4096 -> 512
        assert r["ppm"].params == 4_198_400 and r["psp_conv"].params == 4096 * 512 * 9 + 1024
    else:  # official DeepLabV3Head: ASPP (rates 12/24/36) + 3x3 conv 256
        assert r["aspp"].params == 15_535_104 and r["aspp_conv"].params == 256 * 256 * 9 + 512
        assert [report.graph.nodes[f"aspp.b{k}.conv"].params.dilation for k in (1, 2, 3)] == [12, 24, 36]


@pytest.mark.parametrize("head, params", [("psp", 68_817_130), ("deeplab", 61_863_402), ("encnet", 47_346_015)])
def test_fastfcn_heads_build_from_the_shipped_spec(head, params):
    # the se output is an expression that is null for heads other than encnet
    report = segkit.check(spec("fastfcn"), head=head)
    assert report.params == params and not report.warnings
    assert ("se" in report.outputs) is (head == "encnet")


def test_icnet_branches():
    report = check("icnet")
    r = rows(report)
    assert r["data_sub1"].params == 3  # the prototxt's Scale layer
    assert r["conv3_sub1"].stride == "8" and r["conv3_1"].stride == "16" and r["conv5"].stride == "32"
    assert r["conv5"].shapes["out"].as_tuple() == (1024, 32, 64)  # half-width ResNet-50
    assert r["sub24"].stride == "16" and r["sub12"].stride == "8" and r["conv6_cls"].stride == "4"
    assert r["ppm"].params == 0  # ICNet's pyramid pooling sums without convs
    assert report.outputs["aux_sub4"].spatial == (64, 128) and report.outputs["aux_sub24"].spatial == (128, 256)
    model = segkit.build(spec("icnet"), input="3x192x192").train()
    out = model(torch.randn(1, 3, 192, 192))
    assert out["out"].shape == (1, 19, 192, 192) and out["aux_sub4"].shape == (1, 19, 12, 12)


def test_dense_aspp_uses_the_dilated_densenet_with_transition4():
    report = check("dense_aspp")
    r = rows(report)
    assert r["features"].shapes["c5"].as_tuple() == (512, 64, 128)  # halved by transition4, stride 8
    assert r["aspp"].shapes["out"].as_tuple() == (512 + 5 * 64, 64, 128)
    assert r["logits"].stride == "8"
    big = rows(segkit.check(spec("dense_aspp"), depth=161))
    assert big["features"].shapes["c5"].channels == 1104 and big["aspp"].shapes["out"].channels == 1104 + 5 * 128


def test_enet_and_espnet_resolutions():
    r = rows(check("enet"))
    assert r["b3"].stride == "8" and r["b5"].stride == "2" and r["fullconv"].stride == "1"
    c = rows(check("espnet_c"))
    assert c["cat2"].shapes["out"].channels == 131 and c["cat3"].shapes["out"].channels == 256
    assert c["classifier"].stride == "8"
    e = check("espnet")
    assert "up" not in rows(e) and e.outputs["out"].as_tuple() == (20, 512, 1024)


@pytest.mark.parametrize("name, size, fields", [("encnet", 64, {"depth": 18}), ("icnet", 192, {}),
                                                ("espnet", 64, {}), ("enet", 64, {})])
def test_static_macs_equal_flop_counter(name, size, fields):
    # the inference networks' static MACs equal torch.utils.flop_counter's FLOPs / 2,
    # including EncNet's Encoding matrix products that REFERENCE.md leaves out
    from torch.utils.flop_counter import FlopCounterMode

    shape = f"3x{size}x{size}"
    report = segkit.check(spec(name), input=shape, train_heads=False, **fields)
    model = segkit.build(spec(name), input=shape, train_heads=False, **fields).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.randn(1, 3, size, size))
    assert counter.get_total_flops() == 2 * report.macs

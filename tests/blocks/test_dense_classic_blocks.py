"""DenseNet / FC-DenseNet blocks, VGG stage, MobileNetV2 inverted residual, aligned
Xception units and EncNet's context encoding: parameter counts pinned to the papers'
official code and torchvision, whole networks assembled from the blocks against
shared REFERENCE.md, the blocks' semantics against direct torch code, and located
errors for bad params."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
import yaml

import segkit
from segkit import Shape
from segkit.errors import SegkitError

from .contract import check_against_torch


def _block(block: str, inputs: dict[str, int], outputs=("out",), **fields) -> str:
    """A spec calling ``block`` on ``inputs`` (name -> channels) with ``fields``; the
    spec's outputs are the block's ``outputs``."""
    return yaml.safe_dump({"segkit": 1, "name": "t", "inputs": inputs,
                           "nodes": {"blk": {"block": block, "from": list(inputs), **fields}},
                           "outputs": {name: f"blk.{name}" for name in outputs}}, sort_keys=False)


def _params(block: str, shape: str, **fields) -> int:
    return segkit.check(_block(block, {"x": int(shape.split("x")[0])}, **fields), input=shape).params


def _weights(model):
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.3)
    return dict(model.named_parameters())


def _bn(x, w, prefix, eps=1e-5):
    return F.batch_norm(x, None, None, w[f"{prefix}.weight"], w[f"{prefix}.bias"], training=True, eps=eps)


# -- pinned block counts ----------------------------------------------------------------


def test_fc_densenet103_first_dense_block():
    # 48 input maps, 4 layers of BN-ReLU-3x3 conv (bias) with growth 16 (SimJeg/FC-DenseNet):
    # sum over inputs 48, 64, 80, 96 of 2c (BN) + 9*16c + 16
    report = segkit.check(_block("dense_block", {"x": 48}, layers=4, growth=16), input="48x360x480")
    assert report.params == 42_112
    assert report.outputs["out"].as_tuple() == (112, 360, 480)
    up = segkit.check(_block("dense_block", {"x": 48}, layers=4, growth=16, keep_input=False), input="48x8x8")
    assert up.params == 42_112 and up.outputs["out"].channels == 64  # only the new maps


# FC-DenseNet103 (Jegou et al., CVPRW 2017, Table 2; SimJeg/FC-DenseNet): 48 first maps,
# growth 16, dense blocks of 4, 5, 7, 10, 12 layers down, 15 in the bottleneck, 12, 10, 7,
# 5, 4 up. A transition down sees the concat after each down block (48 + 16 * 4 = 112,
# then 192, 304, 464, 656 maps): BN (2c) + 1x1 conv with bias (c*c + c). A transition up
# upsamples only the new maps of the block below (16 * 15 = 240, then 192, 160, 112, 80)
# with a 3x3 stride-2 transposed conv with bias (9c*c + c).
@pytest.mark.parametrize("maps, params", [(112, 12_880), (192, 37_440), (304, 93_328), (464, 216_688),
                                          (656, 432_304)])
def test_fc_densenet103_transitions_down(maps, params):
    assert _params("transition_down", f"{maps}x16x16") == params


@pytest.mark.parametrize("maps, skip, params", [(240, 656, 518_640), (192, 464, 331_968), (160, 304, 230_560),
                                                (112, 192, 113_008), (80, 112, 57_680)])
def test_fc_densenet103_transitions_up(maps, skip, params):
    report = segkit.check(_block("transition_up", {"x": maps, "skip": skip}),
                          input={"x": f"{maps}x22x30", "skip": f"{skip}x45x60"})
    assert report.params == params
    assert report.outputs["out"].as_tuple() == (maps + skip, 45, 60)  # (2*22+1) x (2*30+1) cropped to the skip


def test_torchvision_densenet121_denseblock1_and_transition1():
    # torchvision densenet121: features.denseblock1 (64 in, 6 bottleneck layers, k=32, bn_size=4)
    report = segkit.check(_block("dense_block", {"x": 64}, layers=6, growth=32, bottleneck=True),
                          input="64x56x56")
    assert report.params == 335_040 and report.outputs["out"].channels == 256
    assert _params("densenet_transition", "256x56x56") == 33_280  # features.transition1: 256 -> 128
    assert _params("densenet_bottleneck_layer", "64x56x56") == 45_440  # denseblock1.denselayer1


def test_mobilenet_v2_inverted_residuals():
    # torchvision mobilenet_v2 features[1] (32->16, t=1), [2] (16->24, s2, t=6), [3] (24->24, t=6)
    assert _params("inverted_residual", "32x112x112", out=16, expand=1) == 896
    assert _params("inverted_residual", "16x112x112", out=24, stride=2) == 5_136
    report = segkit.check(_block("inverted_residual", {"x": 24}, out=24, expand=6), input="24x56x56")
    assert report.params == 8_832
    assert "blk.add" in report.graph.nodes  # stride 1, same width: residual
    no_res = segkit.check(_block("inverted_residual", {"x": 24}, out=32, stride=2), input="24x56x56")
    assert not any(n.endswith(".add") for n in no_res.graph.nodes)


def test_xception_units():
    # DeepLab v3+ aligned Xception-65 (TF research/deeplab/core/xception.py)
    sep728 = 728 * 9 + 2 * 728 + 728 * 728 + 2 * 728  # depthwise + BN + pointwise + BN
    assert _params("xception_middle", "728x33x33") == 3 * sep728 == 1_618_344
    assert _params("xception_entry", "64x257x257", out=128) == 53_696  # entry_flow/block1
    sep = lambda cin, cout: cin * 9 + 2 * cin + cin * cout + 2 * cout  # noqa: E731
    exit1 = sep(728, 728) + sep(728, 1024) + sep(1024, 1024) + 728 * 1024 + 2 * 1024  # exit_flow/block1
    assert _params("xception_exit", "728x33x33", stride=1) == exit1 == 3_104_384
    report = segkit.check(_block("xception_entry", {"x": 128}, ("out", "low"), out=256), input="128x129x129")
    assert report.outputs["out"].as_tuple() == (256, 65, 65)
    assert report.outputs["low"].as_tuple() == (256, 129, 129)  # decoder tap before the stride


def test_enc_module_512_21_classes():
    # PyTorch-Encoding EncModule(512, 21, ncodes=32, se_loss=True): 1x1 conv 512 + BN,
    # Encoding (32x512 codewords + 32 scales), BN1d(32), FC 512->512, SE FC 512->21
    report = segkit.check(_block("context_encoding", {"x": 512}, ("out", "se")), input="512x64x64")
    assert report.params == 262_144 + 1_024 + 16_384 + 32 + 64 + 262_656 + 10_773 == 553_077
    assert report.outputs["out"].as_tuple() == (512, 64, 64)
    assert report.outputs["se"] == Shape(21, ())
    n = 64 * 64
    assert report.macs == 512 * 512 * n + 2 * n * 32 * 512 + 512 * 512 + 512 * 21
    assert _params("context_encoding", "512x8x8", se_loss=False) == 553_077 - 10_773


def test_vgg16_features():
    spec = """
segkit: 1
name: vgg16
params: {bn: false}
inputs: {image: {channels: 3, size: 224}}
nodes:
  stage: {block: vgg_stage, from: image, repeat: 5, out: "${[64, 128, 256, 512, 512][i]}",
          convs: "${[2, 2, 3, 3, 3][i]}", bn: "${bn}"}
outputs: {out: stage}
"""
    report = segkit.check(spec)
    assert report.params == 14_714_688  # torchvision vgg16().features
    assert report.outputs["out"].as_tuple() == (512, 7, 7)
    assert segkit.check(spec, bn=True).params == 14_723_136  # vgg16_bn().features


# -- whole networks from the blocks (REFERENCE.md, torchvision) -------------------------------

FC_DENSENET = """
segkit: 1
name: fc-densenet
params: {num_classes: 11, growth: 16, layers: [4, 5, 7, 10, 12, 15, 12, 10, 7, 5, 4]}
inputs: {image: {channels: 3, size: [352, 480]}}
nodes:
  conv0: {block: conv, from: image, out: 48, kernel: 3}
  db0: {block: dense_block, layers: "${layers[0]}", growth: "${growth}"}
  td0: {block: transition_down}
  db1: {block: dense_block, layers: "${layers[1]}", growth: "${growth}"}
  td1: {block: transition_down}
  db2: {block: dense_block, layers: "${layers[2]}", growth: "${growth}"}
  td2: {block: transition_down}
  db3: {block: dense_block, layers: "${layers[3]}", growth: "${growth}"}
  td3: {block: transition_down}
  db4: {block: dense_block, layers: "${layers[4]}", growth: "${growth}"}
  td4: {block: transition_down}
  bott: {block: dense_block, layers: "${layers[5]}", growth: "${growth}", keep_input: false}
  tu0: {block: transition_up, from: [bott, db4]}
  ub0: {block: dense_block, layers: "${layers[6]}", growth: "${growth}", keep_input: false}
  tu1: {block: transition_up, from: [ub0, db3]}
  ub1: {block: dense_block, layers: "${layers[7]}", growth: "${growth}", keep_input: false}
  tu2: {block: transition_up, from: [ub1, db2]}
  ub2: {block: dense_block, layers: "${layers[8]}", growth: "${growth}", keep_input: false}
  tu3: {block: transition_up, from: [ub2, db1]}
  ub3: {block: dense_block, layers: "${layers[9]}", growth: "${growth}", keep_input: false}
  tu4: {block: transition_up, from: [ub3, db0]}
  ub4: {block: dense_block, layers: "${layers[10]}", growth: "${growth}"}
  logits: {block: conv, out: "${num_classes}", kernel: 1}
outputs: {out: logits}
"""


@pytest.mark.parametrize("variant, overrides, params", [
    ("103", {}, 9_322_091),
    ("67", {"layers": [5] * 11}, 3_463_243),
    ("56", {"layers": [4] * 11, "growth": 12}, 1_376_795),
])
def test_fc_densenet_totals(variant, overrides, params):
    # REFERENCE.md (SimJeg/FC-DenseNet, 11 CamVid classes)
    report = segkit.check(FC_DENSENET, **overrides)
    assert report.params == params
    assert report.outputs["out"].as_tuple() == (11, 352, 480)
    if variant == "103":
        assert round(report.macs / 1e9, 1) == 67.6  # REFERENCE.md: 67.6 GMACs @ 352x480
        odd = segkit.check(FC_DENSENET, input="3x350x479")  # transition_up crops to the skip's size
        assert odd.outputs["out"].as_tuple() == (11, 350, 479)


DENSENET = """
segkit: 1
name: densenet-features
params: {growth: 32, init: 64, layers: [6, 12, 24, 16]}
inputs: {image: {channels: 3, size: 224}}
nodes:
  conv0: {block: conv, from: image, out: "${init}", kernel: 7, stride: 2, padding: 3, bias: false}
  norm0: {block: bn}
  relu0: {block: act}
  pool0: {block: maxpool, kernel: 3, stride: 2, padding: 1}
  denseblock1: {block: dense_block, layers: "${layers[0]}", growth: "${growth}", bottleneck: true}
  transition1: {block: densenet_transition}
  denseblock2: {block: dense_block, layers: "${layers[1]}", growth: "${growth}", bottleneck: true}
  transition2: {block: densenet_transition}
  denseblock3: {block: dense_block, layers: "${layers[2]}", growth: "${growth}", bottleneck: true}
  transition3: {block: densenet_transition}
  denseblock4: {block: dense_block, layers: "${layers[3]}", growth: "${growth}", bottleneck: true}
  norm5: {block: bn}
outputs: {out: norm5}
"""


@pytest.mark.parametrize("overrides, params", [
    ({}, 6_953_856),  # torchvision densenet121().features (7,978,856 - classifier 1,025,000)
    ({"layers": [6, 12, 32, 32]}, 12_484_480),  # densenet169 (14,149,480 - 1,665,000)
    ({"growth": 48, "init": 96, "layers": [6, 12, 36, 24]}, 26_472_000),  # densenet161 (28,681,000 - 2,209,000)
])
def test_torchvision_densenet_features(overrides, params):
    report = segkit.check(DENSENET, **overrides)
    assert report.params == params
    assert report.outputs["out"].spatial == (7, 7)


def test_torchvision_mobilenet_v2_features():
    settings = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2],
                [6, 320, 1, 1]]
    nodes = {"stem": {"block": "conv_bn_act", "from": "image", "out": 32, "stride": 2, "act": "relu6"}}
    for k, (t, c, n, s) in enumerate(settings):
        nodes[f"s{k}"] = {"block": "inverted_residual", "repeat": n, "expand": t, "out": c,
                          "stride": f"${{{s} if i == 0 else 1}}"}
    nodes["last"] = {"block": "conv_bn_act", "out": 1280, "kernel": 1, "act": "relu6"}
    spec = yaml.safe_dump({"segkit": 1, "name": "mobilenetv2", "inputs": {"image": {"channels": 3, "size": 224}},
                           "nodes": nodes, "outputs": {"out": "last"}}, sort_keys=False)
    report = segkit.check(spec)
    assert report.params == 2_223_872  # torchvision mobilenet_v2().features (3,504,872 - 1,281,000)
    assert round(report.macs / 1e6) == 299  # paper Table 4: 300M multiply-adds with the classifier
    assert report.outputs["out"].as_tuple() == (1280, 7, 7)


DEEPLAB_XCEPTION = """
segkit: 1
name: deeplabv3plus-xception65
params: {num_classes: 21}
inputs: {image: {channels: 3, size: 513}}
nodes:
  conv1: {block: conv_bn_act, from: image, out: 32, stride: 2}
  conv2: {block: conv_bn_act, out: 64}
  entry1: {block: xception_entry, out: 128}
  entry2: {block: xception_entry, out: 256}
  entry3: {block: xception_entry, out: 728}
  middle: {block: xception_middle, repeat: 16}
  exit1: {block: xception_exit, stride: 1}
  exit2: {block: xception_sepconv, repeat: 3, out: "${[1536, 1536, 2048][i]}", dilation: 2, relu: within}
  aspp_pool: {block: global_avgpool, from: exit2}
  aspp_pool_conv: {block: conv_bn_act, out: 256, kernel: 1}
  aspp_pool_up: {block: resize, like: exit2}
  aspp0: {block: conv_bn_act, from: exit2, out: 256, kernel: 1}
  aspp1: {block: xception_sepconv, from: exit2, out: 256, dilation: 6, relu: within}
  aspp2: {block: xception_sepconv, from: exit2, out: 256, dilation: 12, relu: within}
  aspp3: {block: xception_sepconv, from: exit2, out: 256, dilation: 18, relu: within}
  aspp_cat: {block: concat, from: [aspp_pool_up, aspp0, aspp1, aspp2, aspp3]}
  aspp_proj: {block: conv_bn_act, out: 256, kernel: 1}
  up4: {block: resize, like: entry2.low}
  low: {block: conv_bn_act, from: entry2.low, out: 48, kernel: 1}
  dec_cat: {block: concat, from: [up4, low]}
  dec: {block: xception_sepconv, repeat: 2, out: 256, relu: within}
  logits: {block: conv, out: "${num_classes}", kernel: 1}
  up: {block: resize, like: image}
outputs: {out: up}
"""


def test_deeplabv3plus_xception65_total():
    # REFERENCE.md: DeepLab v3+ Xception-65, separable ASPP + decoder, OS16, 21 classes
    report = segkit.check(DEEPLAB_XCEPTION)
    assert report.params == 41_055_413
    assert round(report.macs / 1e9, 2) == 54.04  # @ 513x513
    rows = {r.id: r for r in report.rows}
    assert rows["entry2"].shapes["low"].as_tuple() == (256, 129, 129)  # stride-4 decoder input
    assert rows["exit2"].shapes["out"].as_tuple() == (2048, 33, 33)


ENCNET = """
segkit: 1
name: encnet
params: {num_classes: 21, depth: 50}
inputs: {image: {channels: 3, size: 512}}
nodes:
  enc: {block: resnet, from: image, depth: "${depth}", output_stride: 8, stem: deep}
  conv5: {block: conv_bn_act, from: enc.c5, out: 512}
  encode: {block: context_encoding, num_classes: "${num_classes}"}
  drop: {block: dropout, from: encode.out, p: 0.1}
  conv6: {block: conv, out: "${num_classes}", kernel: 1}
  up: {block: resize, like: image}
  aux1: {block: conv_bn_act, from: enc.c4, out: 256}
  aux2: {block: conv, out: "${num_classes}", kernel: 1}
  auxup: {block: resize, like: image}
outputs: {out: up, aux: auxup, se: encode.se}
"""


@pytest.mark.parametrize("depth, params, gmacs", [(50, 35_999_071, 146.5), (101, 54_991_199, 224.1)])
def test_encnet_totals(depth, params, gmacs):
    # REFERENCE.md: EncNet (deep stem, OS8, aux + SE-loss head, 21 classes)
    report = segkit.check(ENCNET, depth=depth)
    assert report.params == params
    assert report.outputs["se"] == Shape(21, ())
    # REFERENCE's GMACs leave out the aux head and the Encoding layer's two matrix
    # products (2 N K D), which segkit counts as torch.utils.flop_counter does
    rows = {r.id: r for r in report.rows}
    aux = rows["aux1"].macs + rows["aux2"].macs
    encoding_products = 2 * 64 * 64 * 32 * 512
    assert round((report.macs - aux - encoding_products) / 1e9, 1) == gmacs


# -- semantics against direct torch code --------------------------------------------------------


@pytest.mark.parametrize("keep_input", [True, False])
def test_dense_block_concatenates_all_previous_layers(keep_input):
    spec = _block("dense_block", {"x": 3}, layers=3, growth=2, keep_input=keep_input, dropout=0)
    model = segkit.build(spec, input="3x6x5").train()
    w = _weights(model)
    x = torch.randn(2, 3, 6, 5)
    feats = [x]
    for k in range(1, 4):
        p = f"blk.denselayer{k}"
        h = F.relu(_bn(torch.cat(feats, 1), w, f"{p}.norm"))
        feats.append(F.conv2d(h, w[f"{p}.conv.weight"], w[f"{p}.conv.bias"], padding=1))
    want = torch.cat(feats if keep_input else feats[1:], 1)
    torch.testing.assert_close(model(x), want)


def test_dense_block_bottleneck_names_follow_torchvision():
    spec = _block("dense_block", {"x": 4}, layers=2, growth=2, bn_size=2, bottleneck=True, dilation=2)
    model = segkit.build(spec, input="4x7x7").train()
    assert {"blk.denselayer1.norm1.weight", "blk.denselayer1.conv1.weight", "blk.denselayer2.norm2.bias",
            "blk.denselayer2.conv2.weight"} <= set(model.state_dict())
    assert not any(k.endswith("conv1.bias") or k.endswith("conv2.bias") for k in model.state_dict())
    w = _weights(model)
    x = torch.randn(2, 4, 7, 7)
    feats = [x]
    for k in (1, 2):
        p = f"blk.denselayer{k}"
        h = F.conv2d(F.relu(_bn(torch.cat(feats, 1), w, f"{p}.norm1")), w[f"{p}.conv1.weight"])
        feats.append(F.conv2d(F.relu(_bn(h, w, f"{p}.norm2")), w[f"{p}.conv2.weight"], padding=2, dilation=2))
    torch.testing.assert_close(model(x), torch.cat(feats, 1))


def test_transition_up_crops_the_upsampled_map_to_the_skip():
    spec = _block("transition_up", {"x": 4, "skip": 2}, out=3)
    shapes = {"x": "4x3x4", "skip": "2x6x7"}
    report = segkit.check(spec, input=shapes)
    assert report.outputs["out"].as_tuple() == (5, 6, 7)
    model = segkit.build(spec, input=shapes)
    w = _weights(model)
    x, skip = torch.randn(1, 4, 3, 4), torch.randn(1, 2, 6, 7)
    up = F.conv_transpose2d(x, w["blk.convTrans.weight"], w["blk.convTrans.bias"], stride=2)  # 7 x 9
    assert tuple(up.shape[2:]) == (7, 9)
    want = torch.cat([up[:, :, 0:6, 1:8], skip], 1)  # center crop: offsets (7-6)//2, (9-7)//2
    torch.testing.assert_close(model(x=x, skip=skip), want)


XCEPTION_EPS = 1e-3
"""TensorFlow's BatchNorm epsilon, which the xception units keep."""


def test_xception_entry_shortcut_sees_the_input_before_relu():
    spec = _block("xception_entry", {"x": 3}, out=4, stride=2)
    model = segkit.build(spec, input="3x9x9").train()
    w = _weights(model)
    x = torch.randn(2, 3, 9, 9)
    h = x
    for k in range(3):
        p = f"blk.sep.{k}"
        cin = h.shape[1]
        h = F.conv2d(F.relu(h), w[f"{p}.conv.depthwise.weight"], stride=2 if k == 2 else 1, padding=1, groups=cin)
        h = F.conv2d(_bn(h, w, f"{p}.conv.bn", XCEPTION_EPS), w[f"{p}.conv.pointwise.weight"])
        h = _bn(h, w, f"{p}.bn", XCEPTION_EPS)
    short = _bn(F.conv2d(x, w["blk.shortcut.conv.weight"], stride=2), w, "blk.shortcut.bn", XCEPTION_EPS)
    torch.testing.assert_close(model(x), h + short)


def _encoding_reference(x, codewords, scale):
    """EncNet's Encoding layer as written in the paper / official CPU code: B x K x D."""
    feats = x.flatten(2).transpose(1, 2)  # B N D
    resid = feats.unsqueeze(2) - codewords[None, None]  # B N K D
    assign = F.softmax(scale * resid.pow(2).sum(3), dim=2)
    return (assign.unsqueeze(3) * resid).sum(1)


def test_context_encoding_matches_enc_module():
    spec = _block("context_encoding", {"x": 6}, ("out", "se"), codes=4, num_classes=3)
    model = segkit.build(spec, input="6x5x7").train()
    names = {n.removeprefix("blk.") for n, _ in model.named_parameters()}  # official EncModule's names
    assert names == {"encoding.0.weight", "encoding.1.weight", "encoding.1.bias", "encoding.3.codewords",
                     "encoding.3.scale", "encoding.4.weight", "encoding.4.bias", "fc.0.weight", "fc.0.bias",
                     "selayer.weight", "selayer.bias"}
    w = _weights(model)
    x = torch.randn(3, 6, 5, 7)
    h = F.relu(_bn(F.conv2d(x, w["blk.encoding.0.weight"]), w, "blk.encoding.1"))
    e = _encoding_reference(h, w["blk.encoding.3.codewords"], w["blk.encoding.3.scale"])
    e = F.relu(_bn(e, w, "blk.encoding.4")).mean(1)
    gamma = torch.sigmoid(F.linear(e, w["blk.fc.0.weight"], w["blk.fc.0.bias"]))
    out = model(x)
    torch.testing.assert_close(out["out"], F.relu(x + x * gamma[:, :, None, None]))
    torch.testing.assert_close(out["se"], F.linear(e, w["blk.selayer.weight"], w["blk.selayer.bias"]))


def test_context_encoding_macs_equal_flop_counter():
    # static params / MACs equal parameters() / FlopCounterMode at a non-trivial size
    check_against_torch("context_encoding", {"codes": 8, "num_classes": 5}, [Shape(16, (12, 10))])
    check_against_torch("context_encoding", {"codes": 3, "se_loss": False, "conv": False}, [Shape(5, (4, 3, 2))])
    # torch.compile(fullgraph=True) without graph breaks: test_contract.py


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("block, inputs, fields", [
    ("dense_block", {"x": 8}, {"layers": 0}),
    ("dense_block", {"x": 8}, {"dropout": 1.5}),
    ("dense_block", {"x": 8}, {"grwoth": 12}),
    ("densenet_layer", {"x": 8}, {"growth": 0}),
    ("densenet_layer", {"x": 8}, {"dropout": -0.1}),
    ("densenet_bottleneck_layer", {"x": 8}, {"bn_size": 0}),
    ("densenet_transition", {"x": 8}, {"out": 0}),
    ("transition_down", {"x": 8}, {"dropout": 2}),
    ("transition_up", {"x": 8, "skip": 4}, {"out": 0}),
    ("transition_up", {"x": 8}, {}),
    ("vgg_stage", {"x": 3}, {"convs": 0}),
    ("inverted_residual", {"x": 8}, {"stride": 0}),
    ("inverted_residual", {"x": 8}, {"expand": 0}),
    ("xception_sepconv", {"x": 8}, {"relu": "after"}),
    ("xception_entry", {"x": 8}, {"out": 0}),
    ("xception_middle", {"x": 8}, {"dilation": 0}),
    ("xception_exit", {"x": 8}, {"widths": [4, 4]}),
    ("context_encoding", {"x": 8}, {"codes": 0}),
    ("context_encoding", {"x": 8}, {"se_loss": "maybe"}),
])
def test_bad_params_give_located_errors(block, inputs, fields):
    with pytest.raises(SegkitError) as info:
        segkit.check(_block(block, inputs, **fields))
    assert info.value.loc.line > 0, info.value.format()


def test_python_blocks_register_without_torch():
    code = ("import sys; from segkit.blocks import context_encoding, dense_block, vgg_stage; got = []\n"
            "for m in (dense_block, vgg_stage, context_encoding): m.segkit_register_blocks(register=got.append)\n"
            "assert [b.name for b in got] == ['dense_block', 'vgg_stage', 'context_encoding'], got\n"
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)

"""Context modules (aspp, aspp_conv, deeplabv3plus_decoder, ppm, ppm_pool, jpu,
dense_aspp, dense_aspp_layer): parameter counts pinned to the papers' / official code's
configurations and to shared REFERENCE.md, rates scaled by output stride, located
errors for bad params, and the blocks' semantics against direct torch code.

Where the reference numbers come from (params as ``sum(p.numel())``, BN = 2 per channel):
- ASPP v3, 2048 -> 256: torchvision's ``ASPP`` inside ``DeepLabHead``: deeplabv3_resnet50
  without aux 39,638,869 - ResNet-50 23,508,032 - DeepLabHead's extra 3x3 conv + BN
  590,336 - classifier 5,397 = 15,535,104 (REFERENCE.md, torchvision table).
- ASPP v3 separable: DeepLab v3+ R101 separable 45,688,261 (REFERENCE.md) minus ResNet-101,
  the separable decoder and the classifier = 3,019,776.
- ASPP-L (v2): DeepLab v2 R101 44,048,532 - ResNet-101 42,500,160 = 1,548,372.
- v3+ decoder on 256 + 256 channels: 1,303,648 (plain) / 162,928 (separable), from the
  v3+ totals 59,344,309 / 45,688,261.
- PPM of PSPNet-50/101 (2048 in, bins 1/2/3/6, 512 each): 4,198,400, from the PSPNet
  totals (official prototxt).
- JPU of FastFCN-R50: 19,735,552 (REFERENCE.md, EncNet + JPU).
- DenseASPP: the official code (DeepMotionAIResearch/DenseASPP) halves the DenseNet
  features with a transition4 before the ASPP, so the module sees 512 channels
  (DenseNet-121) or 1104 (DenseNet-161): 785,856 / 6,450,432 parameters. With the
  official features (torchvision's densenet features 6,953,856 / 26,472,000, plus
  transition4, with norm5 on the halved width: 7,479,168 / 28,911,840) and the 19-class
  1x1 classifier (15,827 / 33,155) this gives REFERENCE.md's 8,280,851 / 35,395,427.
"""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
import yaml

import segkit
from segkit.errors import SegkitError

RESNET101 = 42_500_160  # torchvision resnet101 without fc (REFERENCE: DeepLab v2 = this + ASPP-L)


def _block(block: str, inputs: dict[str, int], **fields) -> str:
    """A spec calling ``block`` on ``inputs`` (name -> channels) with ``fields``."""
    node = {"block": block, "from": list(inputs), **fields}
    return yaml.safe_dump({"segkit": 1, "name": "t", "inputs": inputs, "nodes": {"blk": node},
                           "outputs": {"out": "blk"}}, sort_keys=False)


def _net(head: str, depth: int = 101, output_stride: int = 16, stem: str = "standard", size: int = 513) -> str:
    """A ResNet encoder (``enc``) followed by ``head`` (YAML node lines ending in ``logits``)."""
    return f"""segkit: 1
name: net
inputs:
  image: {{channels: 3, size: {size}}}
nodes:
  enc: {{block: resnet, from: image, depth: {depth}, output_stride: {output_stride}, stem: {stem}}}
{head}
outputs: {{out: logits}}
"""


# -- pinned parameter counts: the modules --------------------------------------------------


@pytest.mark.parametrize("fields, params", [
    ({}, 15_535_104),  # torchvision ASPP(2048, [12, 24, 36], 256)
    ({"output_stride": 8}, 15_535_104),  # same weights at OS8
    ({"separable": True}, 3_019_776),  # DeepLab v3+ separable ASPP
    ({"image_pooling": False}, 15_535_104 - 524_800 - 256 * 256),  # no pooling branch, 4 x 256 projected
])
def test_aspp_v3_params(fields, params):
    report = segkit.check(_block("aspp", {"x": 2048}, **fields), input="2048x33x33")
    assert report.params == params
    assert report.outputs["out"].as_tuple() == (256, 33, 33)


def test_aspp_v2_params():
    report = segkit.check(_block("aspp", {"x": 2048}, version="v2"), input="2048x65x65")
    assert report.params == 4 * (2048 * 21 * 9 + 21) == 1_548_372
    assert report.outputs["out"].as_tuple() == (21, 65, 65)


@pytest.mark.parametrize("separable, params", [(False, 1_303_648), (True, 162_928)])
def test_decoder_params(separable, params):
    report = segkit.check(_block("deeplabv3plus_decoder", {"x": 256, "low": 256}, separable=separable),
                          input={"x": "256x33x33", "low": "256x129x129"})
    assert report.params == params
    assert report.outputs["out"].as_tuple() == (256, 129, 129)
    assert report.graph.nodes["blk.refine.0.conv" if not separable else "blk.refine.0.sep"].inputs
    concat = report.graph.nodes["blk.concat"].meta["shapes"]["out"]
    assert concat.as_tuple() == (304, 129, 129)  # 256 upsampled + 48


def test_sepconv_of_the_deeplabv3plus_decoder():
    # DeepLab v3+ (TensorFlow models/research/deeplab, model.py refine_by_decoder with
    # split_separable_conv2d): decoder_conv0 on the 304-channel concat is a 3x3 depthwise
    # conv (no bias) + BN + ReLU, then a 1x1 pointwise conv to 256 (no bias; its BN belongs
    # to the unit around it); decoder_conv1 does the same on 256 channels
    def sep(channels: int) -> int:
        return segkit.check(_block("sepconv", {"x": channels}, out=256, mid_norm="bn", mid_act="relu"),
                            input=f"{channels}x129x129").params

    assert sep(304) == 304 * 9 + 2 * 304 + 304 * 256 == 81_168
    assert sep(256) == 68_352
    # with their two 256-channel BNs and the 1x1 low-level reduction (256 -> 48, BN) they
    # make the separable decoder above: 12,384 + 81,168 + 512 + 68,352 + 512
    assert 12_384 + sep(304) + 512 + sep(256) + 512 == 162_928


def test_ppm_params():
    report = segkit.check(_block("ppm", {"x": 2048}), input="2048x60x60")
    assert report.params == 4 * (2048 * 512 + 2 * 512) == 4_198_400
    assert report.outputs["out"].as_tuple() == (4096, 60, 60)
    assert [report.graph.nodes[f"blk.pool{k}"].meta["shapes"]["out"].spatial for k in range(4)] == \
        [(1, 1), (2, 2), (3, 3), (6, 6)]
    icnet = segkit.check(_block("ppm", {"x": 2048}, fusion="sum"), input="2048x33x65")
    assert icnet.params == 0 and icnet.outputs["out"].as_tuple() == (2048, 33, 65)


def test_jpu_params():
    report = segkit.check(_block("jpu", {"c3": 512, "c4": 1024, "c5": 2048}),
                          input={"c3": "512x64x64", "c4": "1024x32x32", "c5": "2048x16x16"})
    assert report.params == 19_735_552  # REFERENCE.md: JPU alone
    assert report.outputs["out"].as_tuple() == (2048, 64, 64)
    assert report.graph.nodes["blk.concat"].meta["shapes"]["out"].channels == 1536


@pytest.mark.parametrize("channels, mid, growth, params", [(512, 128, 64, 785_856), (1104, 512, 128, 6_450_432)])
def test_dense_aspp_params(channels, mid, growth, params):
    report = segkit.check(_block("dense_aspp", {"x": channels}, mid=mid, growth=growth),
                          input=f"{channels}x64x128")
    assert report.params == params
    assert report.outputs["out"].as_tuple() == (channels + 5 * growth, 64, 128)
    nodes = report.graph.nodes
    assert "blk.layer0.norm1" not in nodes and "blk.layer1.norm1" in nodes  # official bn_start
    assert [nodes[f"blk.layer{k}.conv2"].params.dilation for k in range(5)] == [3, 6, 12, 18, 24]


def test_dense_aspp_whole_network_counts_match_reference():
    # official DenseNet features (see the module docstring) + module + 19-class classifier
    for features, channels, mid, growth, total in [(7_479_168, 512, 128, 64, 8_280_851),
                                                   (28_911_840, 1104, 512, 128, 35_395_427)]:
        module = segkit.check(_block("dense_aspp", {"x": channels}, mid=mid, growth=growth),
                              input=f"{channels}x8x8").params
        classifier = (channels + 5 * growth) * 19 + 19
        assert features + module + classifier == total


def test_aspp_conv_unit():
    plain = segkit.check(_block("aspp_conv", {"x": 8}, out=4, dilation=2), input="8x9x9")
    assert plain.params == 8 * 4 * 9 + 2 * 4
    sep = segkit.check(_block("aspp_conv", {"x": 8}, out=4, dilation=2, separable=True), input="8x9x9")
    assert sep.params == 8 * 9 + 2 * 8 + 8 * 4 + 2 * 4
    assert "blk.sep" in sep.graph.nodes and "blk.conv" not in sep.graph.nodes


# -- pinned counts and MACs: whole networks of REFERENCE.md ---------------------------------


V3_HEAD = """  aspp: {block: aspp, from: enc.c5, output_stride: OS}
  logits: {block: conv, out: 21, kernel: 1}"""
V3PLUS_HEAD = """  aspp: {block: aspp, from: enc.c5, separable: SEP}
  dec: {block: deeplabv3plus_decoder, from: [aspp, enc.c2], separable: SEP}
  logits: {block: conv, out: 21, kernel: 1}"""
PSP_HEAD = """  ppm: {block: ppm, from: enc.c5}
  fuse: {block: conv_bn_act, out: 512, kernel: 3}
  drop: {block: dropout, p: 0.1}
  logits: {block: conv, out: CLASSES, kernel: 1}"""


@pytest.mark.parametrize("depth, os, params, gmacs", [(50, 16, 39_048_533, 50.4), (50, 8, 39_048_533, 166.2),
                                                      (101, 16, 58_040_661, 71.1), (101, 8, 58_040_661, 246.2)])
def test_deeplab_v3_reference(depth, os, params, gmacs):
    report = segkit.check(_net(V3_HEAD.replace("OS", str(os)), depth=depth, output_stride=os))
    assert report.params == params  # REFERENCE.md: paper head, no aux
    assert round(report.macs / 1e9, 1) == gmacs
    assert report.outputs["out"].as_tuple() == (21, 513 // os + 1, 513 // os + 1)


@pytest.mark.parametrize("sep, params, gmacs", [("false", 59_344_309, 92.8), ("true", 45_688_261, 60.2)])
def test_deeplab_v3plus_reference(sep, params, gmacs):
    report = segkit.check(_net(V3PLUS_HEAD.replace("SEP", sep)))
    assert report.params == params and round(report.macs / 1e9, 1) == gmacs
    assert report.outputs["out"].as_tuple() == (21, 129, 129)  # stride 4


def test_deeplab_v2_reference():
    report = segkit.check(_net("  logits: {block: aspp, from: enc.c5, version: v2}", output_stride=8))
    assert report.params == RESNET101 + 1_548_372 == 44_048_532
    assert round(report.macs / 1e9, 1) == 189.3


@pytest.mark.parametrize("depth, classes, params, gmacs", [(50, 150, 46_782_550, 161.9), (50, 21, 46_716_373, None),
                                                           (101, 21, 65_708_501, 229.8)])
def test_pspnet_reference(depth, classes, params, gmacs):
    report = segkit.check(_net(PSP_HEAD.replace("CLASSES", str(classes)), depth=depth, output_stride=8,
                               stem="deep", size=473))
    assert report.params == params
    if gmacs is not None:
        assert round(report.macs / 1e9, 1) == gmacs
    rows = {r.id: r for r in report.rows}
    assert rows["ppm"].shapes["out"].as_tuple() == (4096, 60, 60)


# -- output strides and rates ------------------------------------------------------------


@pytest.mark.parametrize("version, os, rates", [("v3", 16, [6, 12, 18]), ("v3", 8, [12, 24, 36]),
                                                ("v3", 32, [3, 6, 9]), ("v2", 8, [6, 12, 18, 24]),
                                                ("v2", 16, [3, 6, 9, 12])])
def test_rates_scale_with_output_stride(version, os, rates):
    spec = _net(f"  logits: {{block: aspp, from: enc.c5, version: {version}, output_stride: {os}}}",
                depth=50, output_stride=os, size=129)
    report = segkit.check(spec, input="3x129x129")
    nodes = report.graph.nodes
    atrous = [n for n in nodes if n.startswith("logits.") and nodes[n].op == "conv" and nodes[n].params.kernel == 3]
    assert [nodes[n].params.dilation for n in atrous] == rates
    rows = {r.id: r for r in report.rows}
    assert rows["logits"].stride == str(os)  # the context module keeps the backbone's output stride


def test_custom_rates_and_stride_of_decoder():
    report = segkit.check(_block("aspp", {"x": 8}, rates=[1, 2, 3], output_stride=4, out=4), input="8x9x9")
    assert [report.graph.nodes[f"blk.b{k}.conv"].params.dilation for k in (1, 2, 3)] == [4, 8, 12]
    spec = _net("""  aspp: {block: aspp, from: enc.c5, out: 16}
  logits: {block: deeplabv3plus_decoder, from: [aspp, enc.c2], out: 16}""", depth=18, size=64)
    rows = {r.id: r for r in segkit.check(spec).rows}
    assert rows["aspp"].stride == "16" and rows["logits"].stride == "4"


def test_aspp_weights_load_across_output_strides():
    os16 = segkit.build(_block("aspp", {"x": 8}, out=4, separable=True), input="8x9x9")
    os8 = segkit.build(_block("aspp", {"x": 8}, out=4, separable=True, output_stride=8), input="8x17x17")
    os8.load_state_dict(os16.state_dict())  # strict: same keys and shapes, only the rates differ
    assert os8.blk.b1.sep.depthwise.dilation == (12, 12) and os16.blk.b1.sep.depthwise.dilation == (6, 6)


# -- located errors ----------------------------------------------------------------------


def _error(text: str, **kw) -> SegkitError:
    with pytest.raises(SegkitError) as info:
        segkit.check(text, **kw)
    return info.value


def _line_of(text: str, needle: str) -> int:
    return next(k for k, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("block, fields, match, key", [
    ("aspp", "out: -256", "out", "out"),
    ("aspp", "rates: [6, 12]", "takes 3 atrous rates", "rates"),
    ("aspp", "rates: [6, 12, 18]\n    version: v2", "takes 4 atrous rates", "rates"),
    ("aspp", "rates: [6, 0, 18]", "rates", "rates"),
    ("aspp", "rates: [6, -12, 18]", "rates", "rates"),
    ("aspp", "output_stride: 7", "does not scale to an integer rate", "output_stride"),
    ("aspp", "version: v2\n    separable: true", "separable", "separable"),
    ("ppm", "reduction: -3", "reduction", "reduction"),
    ("ppm", "fusion: sum\n    reduction: 16", "leave reduction unset", "reduction"),
    ("ppm", "bins: []", "bins", "bins"),
    ("jpu", "width: -512", "width", "width"),
    ("dense_aspp", "growth: -64", "growth", "growth"),
    ("dense_aspp", "rates: [3, 6, -12]", "rates", "rates"),
    ("deeplabv3plus_decoder", "low_out: -48", "param 'low_out'", "low_out"),  # YAML block: by its checks
])
def test_bad_params_are_located(block, fields, match, key):
    inputs = "x" if block in ("aspp", "ppm", "dense_aspp") else "[x, x]"
    text = f"""segkit: 1
name: bad
inputs:
  x: 64
nodes:
  ctx:
    block: {block}
    from: {inputs}
    {fields}
outputs: {{out: ctx}}
"""
    error = _error(text, input="64x16x16")
    assert error.loc.line > 0, error.format()
    assert match in error.message, error.format()
    assert error.loc.line == _line_of(text, f"{key}:"), error.format()  # at the param's own line


def test_bin_larger_than_feature_map_is_located():
    text = """segkit: 1
name: psp
inputs:
  x: 64
nodes:
  ppm: {block: ppm, bins: [1, 2, 3, 6]}
outputs: {out: ppm}
"""
    error = _error(text, input="64x5x7")
    assert error.loc.line == 6
    assert "bin 6x6" in error.message and "5x7 feature map" in error.message, error.format()
    segkit.check(text, input="64x6x7")  # 6x6 bins fit
    error = _error(_block("ppm_pool", {"x": 4}, size=[2, 9]), input="4x5x8")
    assert error.loc.line > 0 and "bin 2x9" in error.message and "5x8" in error.message


def test_ppm_bins_wider_than_the_channels_are_a_param_error():
    error = _error(_block("ppm", {"x": 2}), input="2x8x8")  # 4 bins, 2 // 4 = 0 channels per bin
    assert error.message.startswith("param 'bins' of block 'ppm': 4 bins leave the 2 input channels no channels")
    assert error.loc.line > 0
    assert segkit.check(_block("ppm", {"x": 2}, reduction=1), input="2x8x8").outputs["out"].channels == 2 + 4


def test_jpu_needs_two_inputs_and_positive_width():
    error = _error(_block("jpu", {"x": 8}), input="8x8x8")
    assert error.loc.line > 0 and "2..N" in error.message
    error = _error(_block("jpu", {"a": 8, "b": 8}, width=0), input={"a": "8x8x8", "b": "8x4x4"})
    assert error.loc.line > 0 and "width" in error.message


# -- semantics against direct torch code ------------------------------------------------------


def _randomize(model):
    torch.manual_seed(0)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.rand_like(t) + 0.5 if name.endswith("running_var") else torch.randn_like(t) * 0.3)
    return model.eval()


def _cbr(x, sd, prefix, dilation=1, separable=False, mid_act=True):
    """aspp_conv / conv_bn_act in eval mode, from the state dict."""
    def bn(t, p):
        return F.batch_norm(t, sd[p + ".running_mean"], sd[p + ".running_var"], sd[p + ".weight"], sd[p + ".bias"])
    if separable:
        w = sd[prefix + ".sep.depthwise.weight"]
        pad = dilation * (w.shape[-1] - 1) // 2
        x = bn(F.conv2d(x, w, padding=pad, dilation=dilation, groups=x.shape[1]), prefix + ".sep.bn")
        x = F.relu(x) if mid_act else x
        x = F.conv2d(x, sd[prefix + ".sep.pointwise.weight"])
    else:
        w = sd[prefix + ".conv.weight"]
        x = F.conv2d(x, w, padding=dilation * (w.shape[-1] - 1) // 2, dilation=dilation)
    return F.relu(bn(x, prefix + ".bn"))


def test_aspp_v3_matches_torchvision_structure():
    spec = _block("aspp", {"x": 6}, out=4, output_stride=8, separable=True)
    model = _randomize(segkit.build(spec, input="6x11x11"))
    sd = model.state_dict()
    x = torch.randn(2, 6, 11, 11)
    branches = [_cbr(x, sd, "blk.b0")] + [_cbr(x, sd, f"blk.b{k}", d, separable=True)
                                          for k, d in zip((1, 2, 3), (12, 24, 36))]
    pooled = _cbr(F.adaptive_avg_pool2d(x, 1), sd, "blk.pool_conv")
    branches.append(F.interpolate(pooled, size=(11, 11), mode="bilinear", align_corners=False))
    want = _cbr(torch.cat(branches, 1), sd, "blk.project")  # dropout is off in eval
    torch.testing.assert_close(model(x), want)


def test_aspp_v2_sums_atrous_classifiers():
    model = _randomize(segkit.build(_block("aspp", {"x": 5}, version="v2", out=3), input="5x30x30"))
    sd = model.state_dict()
    x = torch.randn(1, 5, 30, 30)
    want = sum(F.conv2d(x, sd[f"blk.c{k}.weight"], sd[f"blk.c{k}.bias"], padding=d, dilation=d)
               for k, d in enumerate((6, 12, 18, 24)))
    torch.testing.assert_close(model(x), want)


def test_decoder_upsamples_concats_refines():
    spec = _block("deeplabv3plus_decoder", {"x": 6, "low": 5}, low_out=3, out=4)
    model = _randomize(segkit.build(spec, input={"x": "6x5x5", "low": "5x17x17"}))
    sd = model.state_dict()
    x, low = torch.randn(2, 6, 5, 5), torch.randn(2, 5, 17, 17)
    y = torch.cat([F.interpolate(x, size=(17, 17), mode="bilinear", align_corners=True),
                   _cbr(low, sd, "blk.reduce")], 1)
    want = _cbr(_cbr(y, sd, "blk.refine.0"), sd, "blk.refine.1")
    torch.testing.assert_close(model(x=x, low=low), want)


@pytest.mark.parametrize("fusion, pooling", [("concat", "avg"), ("sum", "max")])
def test_ppm_pools_convs_upsamples(fusion, pooling):
    model = _randomize(segkit.build(_block("ppm", {"x": 8}, fusion=fusion, pooling=pooling), input="8x12x13"))
    sd = model.state_dict()
    x = torch.randn(2, 8, 12, 13)
    pool = F.adaptive_avg_pool2d if pooling == "avg" else F.adaptive_max_pool2d
    ups = []
    for k, b in enumerate((1, 2, 3, 6)):
        y = pool(x, b)
        if fusion == "concat":
            y = _cbr(y, sd, f"blk.conv{k}")
        ups.append(F.interpolate(y, size=(12, 13), mode="bilinear", align_corners=True))
    want = torch.cat([x, *ups], 1) if fusion == "concat" else x + sum(ups)
    torch.testing.assert_close(model(x), want)


def test_jpu_matches_official_forward():
    shapes = {"c3": "4x16x16", "c4": "6x8x8", "c5": "8x4x4"}
    model = _randomize(segkit.build(_block("jpu", {"c3": 4, "c4": 6, "c5": 8}, width=3), input=shapes))
    sd = model.state_dict()
    c3, c4, c5 = torch.randn(2, 4, 16, 16), torch.randn(2, 6, 8, 8), torch.randn(2, 8, 4, 4)
    feats = [_cbr(c5, sd, "blk.conv5"), _cbr(c4, sd, "blk.conv4"), _cbr(c3, sd, "blk.conv3")]
    feats[:2] = [F.interpolate(f, size=(16, 16), mode="bilinear", align_corners=True) for f in feats[:2]]
    feat = torch.cat(feats, 1)
    want = torch.cat([_cbr(feat, sd, f"blk.dilation{k}", d, separable=True, mid_act=False)
                      for k, d in zip((1, 2, 3, 4), (1, 2, 4, 8))], 1)
    torch.testing.assert_close(model(c3=c3, c4=c4, c5=c5), want)


def test_dense_aspp_matches_official_forward():
    model = _randomize(segkit.build(_block("dense_aspp", {"x": 6}, mid=4, growth=3), input="6x13x13"))
    sd = model.state_dict()

    def bn(t, p):
        return F.batch_norm(t, sd[p + ".running_mean"], sd[p + ".running_var"], sd[p + ".weight"], sd[p + ".bias"])

    feature = torch.randn(2, 6, 13, 13)
    x = feature.clone()
    for k, d in enumerate((3, 6, 12, 18, 24)):
        p = f"blk.layer{k}"
        y = F.relu(bn(feature, p + ".norm1") if k else feature)
        y = F.relu(bn(F.conv2d(y, sd[p + ".conv1.weight"], sd[p + ".conv1.bias"]), p + ".norm2"))
        y = F.conv2d(y, sd[p + ".conv2.weight"], sd[p + ".conv2.bias"], padding=d, dilation=d)
        feature = torch.cat((y, feature), 1)
    out = model(x)
    assert out.shape == (2, 6 + 5 * 3, 13, 13)
    torch.testing.assert_close(out, feature)


def test_context_blocks_register_without_torch():
    code = ("import sys; from segkit.blocks import aspp, dense_aspp, jpu, ppm; got = []\n"
            "for m in (aspp, ppm, jpu, dense_aspp): m.segkit_register_blocks(register=got.append)\n"
            "assert [b.name for b in got] == ['aspp', 'ppm_pool', 'ppm', 'jpu', 'dense_aspp'], got\n"
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)

"""Blocks of efficient networks (enet_initial, enet_bottleneck, esp, cff, se): parameter
counts of the official configurations, output strides, the ENet pooling-index round
trip (also on odd sizes) against direct torch code, whole-network counts of ENet and
ESPNet against shared REFERENCE.md, and located errors for bad params."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import segkit
from segkit.errors import SegkitError


def spec(nodes: str, inputs: str = "x: {channels: 128, size: 32}", outputs: str = "out: blk") -> str:
    return f"segkit: 1\nname: t\ninputs: {{{inputs}}}\nnodes:\n{nodes}\noutputs: {{{outputs}}}\n"


def params_of(block_line: str, inputs: str = "x: {channels: 128, size: 32}", **kw) -> int:
    return segkit.check(spec(f"  blk: {block_line}", inputs, **kw)).params


# -- parameter counts of the official configurations --------------------------------


def test_enet_parameter_counts():
    # e-lab/ENet-training (Torch): only the middle conv has a bias; BN 2 + PReLU 1 per channel
    assert params_of("{block: enet_initial}", "x: {channels: 3, size: 64}") == 13 * 27 + 13 + 2 * 16 + 16
    regular = 128 * 32 + 96 + (32 * 32 * 9 + 32) + 96 + 32 * 128 + 256 + 128
    assert params_of("{block: enet_bottleneck}") == regular == 18_016
    assert params_of("{block: enet_bottleneck, kind: dilated, dilation: 16}") == 18_016
    assert params_of("{block: enet_bottleneck, kind: asymmetric}") == regular - 9 * 1024 + 5 * 1024 * 2 == 19_040
    assert params_of("{block: enet_bottleneck, kind: downsampling, out: 64}", "x: {channels: 16, size: 32}") == 4_656
    assert params_of("{block: enet_bottleneck, kind: downsampling, out: 128}", "x: {channels: 64, size: 32}") \
        == 22_112
    up = ("  d: {block: enet_bottleneck, kind: downsampling, from: x, out: 128}\n"
          "  blk: {block: enet_bottleneck, kind: upsampling, from: [d, d.indices], out: 64, act: relu, dropout: 0}")
    assert segkit.check(spec(up, "x: {channels: 64, size: 32}")).params == 22_112 + 13_904
    assert params_of("{block: enet_bottleneck, act: relu, dropout: 0}", "x: {channels: 64, size: 32}") == 4_560
    # PyTorch ports (davidtvs/PyTorch-ENet) drop the middle conv's bias
    assert params_of("{block: enet_bottleneck, bias: false}") == 18_016 - 32


def test_esp_parameter_counts():
    # official ESPNet: d = N // 5 = 25, first branch 128 - 4 * 25 = 28, no biases
    esp128 = 128 * 25 + 25 * 28 * 9 + 4 * 25 * 25 * 9 + 2 * 128 + 128
    assert params_of("{block: esp}") == esp128 == 32_384
    assert params_of("{block: esp, out: 128, stride: 2}", "x: {channels: 131, size: 32}") == 58_659
    assert params_of("{block: esp}", "x: {channels: 64, size: 32}") == 7_872
    assert params_of("{block: esp, out: 20, stride: 2}", "x: {channels: 19, size: 32}") \
        == 19 * 4 * 9 + 4 * 4 * 9 * 5 + 60
    assert params_of("{block: esp, branches: 4}") == 128 * 32 + 32 * 32 * 9 * 4 + 384


def test_esp_channel_split_and_fusion():
    report = segkit.check(spec("  blk: {block: esp, out: 64}", "x: {channels: 64, size: 17}"))
    nodes = report.graph.nodes
    assert [nodes[f"blk.{n}"].params.out for n in ("d1", "d2", "d4", "d8", "d16")] == [16, 12, 12, 12, 12]
    assert [nodes[f"blk.d{r}"].params.dilation for r in (1, 2, 4, 8, 16)] == [1, 2, 4, 8, 16]
    assert [nodes[f"blk.add{k}"].meta["from_names"] for k in (2, 3, 4)] == [
        ["d2", "d4"], ["add2", "d8"], ["add3", "d16"]]
    assert nodes["blk.cat"].meta["from_names"] == ["d1", "d2", "add2", "add3", "add4"]
    assert "blk.residual" in nodes
    assert "blk.residual" not in segkit.check(spec("  blk: {block: esp, out: 60}", "x: {channels: 64, size: 17}")
                                              ).graph.nodes
    assert "blk.residual" not in segkit.check(spec("  blk: {block: esp, residual: false}")).graph.nodes


def test_cff_and_se_parameter_counts():
    # ICNet's first CFF: F1 = conv5_4_k1 (256 ch, 1/32), F2 = conv3_1 (256 ch, 1/16), 128 out, 19 classes
    icnet = "low: {channels: 256, size: 33}, high: {channels: 256, size: 65}"
    body = 256 * 128 * 9 + 256 + 256 * 128 + 256
    cff = "  blk: {block: cff, from: [low, high]%s}"
    assert segkit.check(spec(cff % ", aux: false", icnet)).params == body == 328_192
    report = segkit.check(spec(cff % "", icnet, "out: blk, aux: blk.aux"))
    assert report.params == body + 256 * 19 + 19 == 333_075
    assert report.outputs == {"out": segkit.Shape(128, (65, 65)), "aux": segkit.Shape(19, (65, 65))}
    # second CFF: F1 = sub24 sum (128 ch), F2 = conv3_sub1 (64 ch)
    assert segkit.check(spec(cff % ", aux: false", "low: 128, high: 64")).params == 156_160
    # the aux head is pruned (with a warning) from an eval network that does not output it
    assert segkit.check(spec(cff % "", icnet)).params == body
    # SE: C -> C/16 -> C with biases
    assert params_of("{block: se}", "x: {channels: 64, size: 8}") == 64 * 4 + 4 + 4 * 64 + 64 == 580
    assert params_of("{block: se}", "x: {channels: 256, size: 8}") == 8_464
    assert params_of("{block: se, reduction: 4, bias: false}", "x: {channels: 64, size: 8}") == 2 * 64 * 16


def test_se_resnet50_excitation_parameters():
    """Hu et al., "Squeeze-and-Excitation Networks" (CVPR 2018), Sec. "Model and
    Computational Complexity": the SE blocks of SE-ResNet-50 (r = 16, one per residual
    unit: 3, 4, 6, 3 units of 256, 512, 1024, 2048 channels) add (2/r) sum_s N_s C_s^2 =
    2,514,944 weights, the paper's "~2.5 million additional parameters" (it leaves out the
    FC biases, C/r + C per block, which the paper's layers and segkit's se have)."""
    stages = [(3, 256), (4, 512), (6, 1024), (3, 2048)]
    weights = sum(n * params_of("{block: se, bias: false}", f"x: {{channels: {c}, size: 7}}") for n, c in stages)
    assert weights == 2_514_944
    with_bias = sum(n * params_of("{block: se}", f"x: {{channels: {c}, size: 7}}") for n, c in stages)
    assert with_bias - weights == sum(n * (c // 16 + c) for n, c in stages) == 16_048


def test_output_strides():
    def strides(nodes: str, inputs: str) -> dict[str, str]:
        return {r.id: r.stride for r in segkit.check(spec(nodes, inputs, "out: b")).rows}

    got = strides("  a: {block: enet_initial}\n"
                  "  d: {block: enet_bottleneck, kind: downsampling, out: 64}\n"
                  "  u: {block: enet_bottleneck, kind: upsampling, from: [d, d.indices], out: 16}\n"
                  "  b: {block: esp, stride: 2, out: 20}", "x: {channels: 3, size: 64}")
    assert got == {"a": "2", "d": "4", "u": "2", "b": "4"}
    report = segkit.check(spec("  blk: {block: cff, from: [low, high]}", "low: 8, high: 4"))
    assert report.outputs["out"] == segkit.Shape(128, (256, 256))  # the high-resolution input's size


# -- ENet: indices round trip, against direct torch code ------------------------------

ROUND_TRIP = """
  d: {block: enet_bottleneck, from: x, kind: downsampling, out: 16, dropout: 0}
  blk: {block: enet_bottleneck, from: [d, d.indices], kind: upsampling, out: 8, act: relu, dropout: 0}
"""


def _randomize(model: torch.nn.Module) -> None:
    torch.manual_seed(0)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.5, 0.5)
        elif isinstance(module, torch.nn.PReLU):
            module.weight.data.uniform_(0.0, 0.5)


def _reference(model, x: torch.Tensor) -> torch.Tensor:
    """The two bottlenecks written out as in ENet's Torch code (e-lab/ENet-training)."""
    m = model.get_submodule

    def bn(name, t):
        b = m(name)
        return F.batch_norm(t, b.running_mean, b.running_var, b.weight, b.bias, False, 0.0, b.eps)

    def prelu(name, t):
        return F.prelu(t, m(name).weight)

    def conv(name, t, **kw):
        return F.conv2d(t, m(name).weight, m(name).bias, **kw)

    t = prelu("d.proj_act", bn("d.proj_bn", conv("d.proj", x, stride=2)))
    t = prelu("d.conv_act", bn("d.conv_bn", conv("d.conv", t, padding=1)))
    t = bn("d.expand_bn", conv("d.expand", t))
    pooled, indices = F.max_pool2d(x, 2, return_indices=True)
    d = prelu("d.act", t + torch.cat([pooled, pooled.new_zeros(pooled.shape[0], 8, *pooled.shape[2:])], 1))

    shortcut = F.max_unpool2d(bn("blk.shortcut_bn", conv("blk.shortcut", d)), indices, 2, output_size=x.shape[2:])
    t = F.relu(bn("blk.proj_bn", conv("blk.proj", d)))
    tconv = m("blk.tconv")
    if x.shape[2] % 2 == 0 and x.shape[3] % 2 == 0:  # official: padding 1, output padding 1
        t = F.conv_transpose2d(t, tconv.weight, tconv.bias, stride=2, padding=1, output_padding=1)
    else:  # odd sizes: the unpadded output, center-cropped to the pre-pool size (offset 1 on even dims)
        t = F.conv_transpose2d(t, tconv.weight, tconv.bias, stride=2, output_padding=1)
        h, w = (1 - s % 2 for s in x.shape[2:])
        t = t[:, :, h:h + x.shape[2], w:w + x.shape[3]]
    t = F.relu(bn("blk.conv_bn", t))
    t = bn("blk.expand_bn", conv("blk.expand", t))
    return F.relu(t + shortcut)


@pytest.mark.parametrize("size", [(12, 16), (15, 17), (14, 9)])
def test_enet_down_up_round_trip_matches_torch(size):
    text = spec(ROUND_TRIP, f"x: {{channels: 8, size: {list(size)}}}")
    report = segkit.check(text)
    assert report.outputs["out"] == segkit.Shape(8, size)
    assert report.graph.nodes["d.pool"].meta["shapes"]["indices"] == segkit.Shape(8, (size[0] // 2, size[1] // 2))
    model = segkit.build(text).eval()
    _randomize(model)
    x = torch.randn(2, 8, *size)
    with torch.no_grad():
        torch.testing.assert_close(model(x), _reference(model, x))
    assert sum(p.numel() for p in model.parameters()) == report.params


# -- whole networks against REFERENCE.md ---------------------------------------------

ENET = """segkit: 1
name: enet
params: {num_classes: 19}
inputs: {image: {channels: 3, size: [360, 640]}}
nodes:
  initial: {block: enet_initial, from: image}
  b1_0: {block: enet_bottleneck, kind: downsampling, out: 64, dropout: 0.01}
  b1: {block: enet_bottleneck, repeat: 4, dropout: 0.01}
  b2_0: {block: enet_bottleneck, kind: downsampling, out: 128}
  b2: &stage {block: enet_bottleneck, repeat: 8,
       kind: "${['regular', 'dilated', 'asymmetric', 'dilated'][i % 4]}", dilation: "${[1, 2, 1, 4, 1, 8, 1, 16][i]}"}
  b3: *stage
  b4_0: {block: enet_bottleneck, kind: upsampling, from: [b3, b2_0.indices], out: 64, act: relu, dropout: 0}
  b4: {block: enet_bottleneck, repeat: 2, act: relu, dropout: 0}
  b5_0: {block: enet_bottleneck, kind: upsampling, from: [b4, b1_0.indices], out: 16, act: relu, dropout: 0}
  b5: {block: enet_bottleneck, act: relu, dropout: 0}
  fullconv: {block: conv_transpose, out: "${num_classes}", kernel: 2, stride: 2}
outputs: {out: fullconv}
"""

ESPNET = """segkit: 1
name: espnet
params: {num_classes: 20, p: 2, q: 8}
inputs: {image: {channels: 3, size: [512, 1024]}}
nodes:
  level1: {block: conv_bn_act, from: image, out: 16, stride: 2, act: prelu}
  sample1: {block: avgpool, from: image, kernel: 3, stride: 2, padding: 1}
  sample2: {block: avgpool, kernel: 3, stride: 2, padding: 1}
  cat1: {block: concat, from: [level1, sample1]}
  b1_bn: {block: bn, eps: 0.001}
  b1: {block: act, kind: prelu}
  level2_0: {block: esp, stride: 2, out: 64}
  level2: {block: esp, repeat: "${p}"}
  cat2: {block: concat, from: [level2, level2_0, sample2]}
  b2_bn: {block: bn, eps: 0.001}
  b2: {block: act, kind: prelu}
  level3_0: {block: esp, stride: 2, out: 128}
  level3: {block: esp, repeat: "${q}"}
  cat3: {block: concat, from: [level3_0, level3]}
  b3_bn: {block: bn, eps: 0.001}
  b3: {block: act, kind: prelu}
  classifier: {block: conv, out: "${num_classes}", kernel: 1, bias: false}
  up: {block: resize, like: image}
  br: {block: bn, from: classifier, eps: 0.001}
  up_l3: {block: conv_transpose, out: "${num_classes}", kernel: 2, stride: 2, bias: false}
  level3_C: {block: conv, from: b2, out: "${num_classes}", kernel: 1, bias: false}
  cat_l23: {block: concat, from: [level3_C, up_l3]}
  comb_bn: {block: bn, eps: 0.001}
  comb_act: {block: act, kind: prelu}
  comb_esp: {block: esp, out: "${num_classes}"}
  up_l2: {block: conv_transpose, out: "${num_classes}", kernel: 2, stride: 2, bias: false}
  up_l2_bn: {block: bn, eps: 0.001}
  up_l2_act: {block: act, kind: prelu}
  cat_l1: {block: concat, from: [up_l2_act, level1]}
  conv: {block: conv_bn_act, out: "${num_classes}", act: prelu}
  final: {block: conv_transpose, out: "${num_classes}", kernel: 2, stride: 2, bias: false}
outputs: {out: final}
"""
ESPNET_C = ESPNET.replace("outputs: {out: final}", "outputs: {out: up}")  # the decoder is pruned


def test_whole_enet_matches_reference():
    report = segkit.check(ENET)
    assert report.params == 364_311  # REFERENCE.md: ENet (19 classes)
    assert round(report.macs / 1e9, 2) == 1.72  # 1.72 GMACs @ 360x640
    assert report.outputs["out"] == segkit.Shape(19, (360, 640))


def test_whole_espnet_matches_reference():
    # official code (sacmehta/ESPNet, test/Model.py, the released weights' definition)
    assert segkit.check(ESPNET_C).params == 349_449  # ESPNet-C, p=2, q=8
    assert segkit.check(ESPNET_C, q=3).params == 187_529
    full = segkit.check(ESPNET)
    assert full.params == 364_569
    assert segkit.check(ESPNET, q=3).params == 202_649
    assert round(segkit.check(ESPNET_C).macs / 1e9, 2) == 3.47  # @ 512x1024
    assert round(full.macs / 1e9, 2) == 4.71


# -- located errors ------------------------------------------------------------------


def _error(nodes: str, inputs: str = "x: {channels: 8, size: 16}") -> SegkitError:
    with pytest.raises(SegkitError) as info:
        segkit.check(spec(nodes, inputs))
    return info.value


@pytest.mark.parametrize("nodes, line, message", [
    ("  blk: {block: enet_bottleneck, out: -4}", 5,
     "param 'out' of block 'enet_bottleneck': Input should be greater than or equal to 1"),
    ("  blk: {block: enet_bottleneck,\n         out: 2}", 6,
     "param 'out' of block 'enet_bottleneck': out 2 // ratio 4 leaves no channels for the main branch"),
    ("  blk: {block: enet_bottleneck}", 5, "param 'ratio' of block 'enet_bottleneck': 2 channels (out: null keeps "
                                           "them) // ratio 4 leaves no channels for the main branch"),
    ("  blk: {block: enet_bottleneck, kind: upsampling, out: 8}", 5,
     "enet_bottleneck: kind upsampling needs the pool indices of the matching downsampling bottleneck"),
    ("  d: {block: enet_bottleneck, kind: downsampling, out: 8}\n"
     "  blk: {block: enet_bottleneck, from: [d, d.indices], kind: upsampling, out: 8,\n         indices: d}", 7,
     "param 'indices' of block 'enet_bottleneck': the pool indices are given twice"),
    ("  blk: {block: enet_bottleneck, kind: downsampling}", 5,
     "param 'out' of block 'enet_bottleneck': kind downsampling needs it"),
    ("  blk: {block: enet_bottleneck, kind: downsampling,\n         out: 1, ratio: 1}", 6,
     "param 'out' of block 'enet_bottleneck': 1 is fewer than the 2 input channels"),
    ("  blk: {block: enet_bottleneck,\n         dilation: 4}", 6,
     "param 'dilation' of block 'enet_bottleneck': applies to kind dilated, not regular"),
    ("  blk: {block: esp,\n         out: -64}", 6, "param 'out' of block 'esp': Input should be greater than or equal to 1"),
    ("  blk: {block: esp,\n         dilations: [1, 2, 4]}", 6,
     "param 'dilations' of block 'esp': Value error, 3 dilations given for 5 branches"),
    ("  blk: {block: esp,\n         out: 4}", 6, "param 'out' of block 'esp': out 4 cannot be split into 5 branches"),
    ("  blk: {block: esp,\n         branches: 3}", 6, "param 'branches' of block 'esp': the 2 input channels "
                                                      "(out: null keeps them) cannot be split into 3 branches"),
    ("  blk: {block: se}", 5, "param 'reduction' of block 'se': 16 leaves no channels for the 2 input channels"),
    ("  blk: {block: se,\n         reduction: 3}", 6,
     "param 'reduction' of block 'se': 3 leaves no channels for the 2 input channels"),
    ("  blk: {block: se,\n         reduction: 0}", 6,
     "param 'reduction' of block 'se': Input should be greater than or equal to 1"),
])
def test_bad_params_are_located_errors(nodes, line, message):
    """Params that do not fit the input are errors naming and locating the outer param,
    not an inner node's ('param 'out' of block 'conv': ...')."""
    err = _error(nodes, "x: {channels: 2, size: 16}")
    assert err.message.startswith(message), str(err)
    assert err.loc.line == line, str(err)


def test_bad_composite_params_are_located_errors():
    err = _error("  blk: {block: cff, from: [x, x], out: 0}")
    assert err.loc.line == 5 and "greater than or equal to 1" in str(err)
    err = _error("  blk: {block: enet_initial,\n         out: 8}")  # 8 - 8 input channels = no conv filters
    assert err.loc.line == 6
    assert err.message.startswith("param 'out' of block 'enet_initial': 8 leaves no conv filters for 8 input channels")
    err = _error("  blk: {block: enet_initial}", "x: {channels: 3, size: 15}")  # odd size: conv 8 vs pool 7
    assert err.loc.line > 0 and "spatial sizes differ" in str(err)
    assert segkit.check(spec("  blk: {block: enet_initial, pool: 3}", "x: {channels: 3, size: 15}")).outputs[
        "out"] == segkit.Shape(16, (8, 8))  # the PyTorch ports' 3x3 pool accepts odd sizes

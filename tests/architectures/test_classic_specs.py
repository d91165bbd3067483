"""The classic architecture specs (VGG-16 backbone, FCN, DeconvNet, SegNet, U-Net, 3D
U-Net, FC-DenseNet, DeepLab v1/v2): parameter counts pinned to shared REFERENCE.md (or
the paper), MACs pinned to segkit's exact count and compared with REFERENCE within 1%,
output sizes at the reference inputs, and ``num_classes`` overrides. All torch-free
(``segkit.check``) except the FCN layer semantics at the end."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import segkit

SPECS = Path(__file__).resolve().parents[2] / "specs"


def check(name: str, input=None, **params):
    return segkit.check(SPECS / f"{name}.yaml", input=input, **params)


# (spec, params, input, params count, exact MACs, REFERENCE GMACs or None, output shape)
TOTALS = [
    ("fcn32s", {}, "3x500x500", 134_346_581, 181_365_854_976, 181.4, (21, 500, 500)),
    ("fcn16s", {}, "3x500x500", 134_357_354, 181_448_086_272, 181.4, (21, 500, 500)),
    ("fcn8s", {}, "3x500x500", 134_362_751, 181_529_034_048, 181.4, (21, 500, 500)),
    ("deconvnet", {}, "3x224x224", 251_805_653, 32_745_979_904, None, (21, 224, 224)),
    ("segnet", {}, "3x360x480", 29_449_355, 106_712_432_640, 106.3, (11, 360, 480)),
    ("segnet", {"ceil_mode": False}, "3x360x480", 29_449_355, 106_287_759_360, 106.3, (11, 360, 480)),
    ("unet", {}, "1x572x572", 31_030_658, 150_428_424_448, 150.4, (2, 388, 388)),
    ("unet", {"in_channels": 3}, "3x572x572", 31_031_810, 150_802_709_248, None, (2, 388, 388)),
    ("unet_padded", {}, "3x512x512", 31_031_810, 192_686_325_760, None, (2, 512, 512)),
    ("unet3d", {"padding": "valid"}, "3x132x132x116", 19_072_291, 266_731_018_496, None, (3, 44, 44, 28)),
    ("fc_densenet103", {}, "3x352x480", 9_322_091, 67_591_307_520, 67.6, (11, 352, 480)),
    ("fc_densenet67", {}, "3x352x480", 3_463_243, 70_383_118_080, None, (11, 352, 480)),
    ("fc_densenet56", {}, "3x352x480", 1_376_795, 30_026_573_280, None, (11, 352, 480)),
    ("deeplab_v1", {}, "3x513x513", 20_505_429, 128_584_633_024, 128.6, (21, 513, 513)),
    ("deeplab_v2", {}, "3x513x513", 44_048_532, 189_292_610_752, 189.3, (21, 513, 513)),
]


@pytest.mark.parametrize("name, params, input, count, macs, ref_gmacs, out", TOTALS,
                         ids=[f"{t[0]}{'-' + '-'.join(map(str, t[1].values())) if t[1] else ''}" for t in TOTALS])
def test_params_macs_and_output_size(name, params, input, count, macs, ref_gmacs, out):
    report = check(name, input, **params)
    assert report.params == count
    assert report.macs == macs
    if ref_gmacs is not None:
        assert abs(report.macs / 1e9 - ref_gmacs) / ref_gmacs < 0.01
    assert report.outputs["out"].as_tuple() == out


DEFAULTS = [t for t in TOTALS if not t[1]]


@pytest.mark.parametrize("name, input, count, macs, out", [(t[0], *t[2:5], t[6]) for t in DEFAULTS],
                         ids=[t[0] for t in DEFAULTS])
def test_example_input_is_the_reference_one(name, input, count, macs, out):
    # `segkit check SPEC` without --input reports the reference figures
    report = check(name)
    assert report.input_shapes["image"] == segkit.Shape.parse(input)
    assert (report.params, report.macs, report.outputs["out"].as_tuple()) == (count, macs, out)


def test_segnet_reference_macs_use_rounding_down():
    # REFERENCE's 106.3 GMACs: PyTorch's floor pooling (pool4 22x30 at 360x480); the
    # official Caffe net rounds up (23x30, upsample_h: 23 in segnet_train.prototxt)
    official = {r.id: r for r in check("segnet", "3x360x480").rows}
    floor = {r.id: r for r in check("segnet", "3x360x480", ceil_mode=False).rows}
    assert official["pool4"].shapes["out"].spatial == (23, 30)
    assert floor["pool4"].shapes["out"].spatial == (22, 30)
    assert round(sum(r.macs for r in floor.values()) / 1e9, 1) == 106.3


# -- FCN: fixed bilinear deconvolutions, offset crops ------------------------------------------

FCN_FIXED = {"fcn32s": 1_806_336, "fcn16s": 458_640, "fcn8s": 127_008}  # REFERENCE.md


@pytest.mark.parametrize("name, learnable", [("fcn32s", 134_346_581), ("fcn16s", 134_357_354),
                                             ("fcn8s", 134_362_751)])
def test_fcn_both_counting_conventions(name, learnable):
    # default: fixed bilinear deconvs (official lr_mult 0) are buffers, params = learnable;
    # learn_upsampling: nn.Parameters, params = learnable + the fixed weights (21x21xkxk)
    fixed = check(name, "3x500x500")
    counted = check(name, "3x500x500", learn_upsampling=True)
    assert fixed.params == learnable
    assert counted.params == learnable + FCN_FIXED[name]
    deconvs = [r for r in counted.rows if r.block == "bilinear_deconv"]
    assert sum(r.params for r in deconvs) == FCN_FIXED[name]
    assert all(r.params == 0 for r in fixed.rows if r.block == "bilinear_deconv")
    assert counted.macs == fixed.macs  # MACs count the deconvolutions either way


@pytest.mark.parametrize("name, crops", [
    ("fcn32s", {"score": 19}),
    ("fcn16s", {"score_pool4c": 5, "score": 27}),
    ("fcn8s", {"score_pool4c": 5, "score_pool3c": 9, "score": 31}),
])
def test_fcn_crop_offsets_and_sizes(name, crops):
    # official voc-fcn*s prototxts at 500x500: fc7 16x16, upscore (16-1)*32+64 = 544 for
    # 32s; 2x 34, 70; 16x 560; 8x 568; every crop is Caffe's offset crop, not centred
    report = check(name, "3x500x500")
    rows = {r.id: r for r in report.rows}
    assert rows["score_fr"].shapes["out"].as_tuple() == (21, 16, 16)
    assert {k: report.graph.nodes[k].params.offset for k in crops} == crops
    final = {"fcn32s": "upscore", "fcn16s": "upscore16", "fcn8s": "upscore8"}[name]
    assert rows[final].shapes["out"].spatial == {"fcn32s": (544, 544), "fcn16s": (560, 560),
                                                 "fcn8s": (568, 568)}[name]
    # the padding makes every size work, output = input size
    assert check(name, "3x37x201").outputs["out"].as_tuple() == (21, 37, 201)


# -- backbone -------------------------------------------------------------------------------


def test_vgg16_backbone_variants():
    plain = check("backbones/vgg16")
    assert plain.params == 14_714_688  # torchvision vgg16().features
    assert {k: v.as_tuple() for k, v in plain.outputs.items()} == {
        "pool1": (64, 112, 112), "pool2": (128, 56, 56), "pool3": (256, 28, 28), "pool4": (512, 14, 14),
        "pool5": (512, 7, 7), "c2": (128, 56, 56), "c3": (256, 28, 28), "c4": (512, 14, 14), "c5": (512, 7, 7),
        "conv5": (512, 14, 14), "out": (512, 7, 7)}
    fcn = check("backbones/vgg16", fcn=True)
    assert fcn.params == 14_714_688 + 102_764_544 + 16_781_312  # fc6 7x7x512x4096, fc7 4096x4096
    assert fcn.outputs["out"].as_tuple() == (4096, 1, 1)
    fov = check("backbones/vgg16", "3x513x513", largefov=True, ceil_mode=True)
    assert fov.params == 14_714_688 + 4_719_616 + 1_049_600  # fc6 3x3x512x1024 (rate 12), fc7 1x1 1024
    assert fov.outputs["out"].as_tuple() == (1024, 65, 65)  # output stride 8
    assert fov.outputs["pool4"].spatial == fov.outputs["pool5"].spatial == (65, 65)
    scored = check("backbones/vgg16", fcn=True, num_classes=21)
    assert scored.params == fcn.params + 4096 * 21 + 21
    assert scored.outputs["out"].channels == 21


def test_vgg16_backbone_used_as_a_block_has_spec_like_keys():
    report = check("fcn8s", "3x64x64")
    names = set(report.graph.nodes)
    assert {"enc.conv1.0.conv", "enc.conv5.2.conv", "enc.fc6.conv", "enc.fc7.conv", "score_fr"} <= names


# -- num_classes / in_channels overrides ---------------------------------------------------


@pytest.mark.parametrize("name, input", [
    ("fcn32s", "3x96x96"), ("fcn16s", "3x96x96"), ("fcn8s", "3x96x96"), ("deconvnet", "3x224x224"),
    ("segnet", "3x64x64"), ("unet", "1x188x188"), ("unet_padded", "3x64x64"), ("unet3d", "3x16x16x16"),
    ("fc_densenet103", "3x64x64"), ("fc_densenet67", "3x64x64"), ("fc_densenet56", "3x64x64"),
    ("deeplab_v1", "3x64x64"), ("deeplab_v2", "3x64x64"),
])
def test_num_classes_and_in_channels(name, input):
    base = check(name, input)
    five = check(name, input, num_classes=5)
    assert five.outputs["out"].channels == 5
    assert five.outputs["out"].spatial == base.outputs["out"].spatial
    # the classes only size the class layers: params are linear in num_classes
    six = check(name, input, num_classes=6)
    per_class = six.params - five.params
    assert per_class > 0
    assert base.params - five.params == (base.outputs["out"].channels - 5) * per_class
    shape = segkit.Shape.parse(input)
    gray = check(name, shape.with_channels(1), in_channels=1)
    assert gray.outputs["out"] == base.outputs["out"]


def test_set_num_classes_on_the_command_line():
    from segkit.cli import main

    result = CliRunner().invoke(main, ["check", str(SPECS / "fcn8s.yaml"), "--set", "num_classes=19"])
    assert result.exit_code == 0, result.output
    assert "19x500x500" in result.output
    result = CliRunner().invoke(main, ["check", str(SPECS / "unet3d.yaml"), "--set", "num_classes=2",
                                       "--set", "padding=valid", "--input", "3x132x132x116"])
    assert result.exit_code == 0, result.output
    assert "2x44x44x28" in result.output


# -- U-Net, 3D U-Net geometry and counting conventions ----------------------------------------


def test_unet_sizes():
    assert check("unet").describe_sizes() == "H, W >= 188"
    assert check("unet", "1x188x188").outputs["out"].spatial == (4, 4)
    assert "a multiple of 16" in check("unet_padded").describe_sizes()
    assert check("unet", "1x512x512", padding="same").outputs["out"].spatial == (512, 512)
    bn = check("unet", norm="bn")
    # BN after each of the 18 3x3 convs: + scale and shift, - the conv biases
    assert bn.params == 31_030_658 + sum(64 * 2 ** k for k in (0, 1, 2, 3, 4, 3, 2, 1, 0)) * 2


def test_unet3d_paper_count_and_sizes():
    # Cicek et al. 2016: "The architecture has 19,069,955 parameters in total": convs with
    # bias, up-convolutions without bias, BN without learnable parameters
    assert check("unet3d", norm="none").params == 19_069_955
    bn_channels = 32 + 64 + 64 + 128 + 128 + 256 + 256 + 512 + 256 + 256 + 128 + 128 + 64 + 64
    assert check("unet3d").params == 19_069_955 + 2 * bn_channels - bn_channels  # BN scale+shift, no conv bias
    valid = check("unet3d", padding="valid")
    assert valid.input_shapes["image"].as_tuple() == (3, 132, 132, 116)
    assert valid.outputs["out"].as_tuple() == (3, 44, 44, 28)
    assert valid.describe_sizes() == "D, H, W >= 92"
    same = check("unet3d")
    assert same.outputs["out"].as_tuple() == (3, 128, 128, 112)
    assert same.describe_sizes() == "D, H, W a multiple of 8, >= 8"


def test_deeplab_v2_depth_param():
    assert check("deeplab_v2", depth=50).params == 23_508_032 + 1_548_372  # torchvision resnet50 + ASPP-L
    assert check("deeplab_v2", output_stride=16).params == 44_048_532  # same weights at OS16


# -- the FCN layers against torch ------------------------------------------------------------


UPSCORE = """
segkit: 1
name: t
params: {trainable: false, kernel: 64, stride: 32}
inputs: {x: 21}
nodes:
  upscore: {block: bilinear_deconv, from: x, kernel: "${kernel}", stride: "${stride}", trainable: "${trainable}"}
outputs: {out: upscore}
"""


def test_bilinear_deconv_is_fcn_upsample_filt():
    torch = pytest.importorskip("torch")
    from segkit.blocks.fcn_nn import bilinear_kernel

    # upsample_filt of fcn.berkeleyvision.org surgery.py
    assert bilinear_kernel((4,)).tolist() == [0.25, 0.75, 0.75, 0.25]
    assert bilinear_kernel((3,)).tolist() == [0.5, 1.0, 0.5]
    fixed = segkit.build(UPSCORE, input="21x2x2")
    assert "upscore.weight" in fixed.state_dict()  # loads by name from the ports
    assert not dict(fixed.named_parameters())
    weight = fixed.upscore.weight
    assert weight.shape == (21, 21, 64, 64)
    assert torch.equal(weight[0, 1], torch.zeros(64, 64))  # surgery.interp: channel diagonal only
    assert torch.allclose(weight[3, 3], bilinear_kernel((64, 64)))
    learned = segkit.build(UPSCORE, input="21x2x2", trainable=True)
    assert set(dict(learned.named_parameters())) == {"upscore.weight"}
    # a 2x bilinear deconv maps a constant map to the same constant away from the borders
    up = segkit.build(UPSCORE, input="21x5x5", kernel=4, stride=2)
    out = up(torch.ones(1, 21, 5, 5))
    assert out.shape == (1, 21, 12, 12)
    assert torch.allclose(out[:, :, 2:-2, 2:-2], torch.ones(1, 21, 8, 8))
    # the FCN specs' deconvolutions are fixed unless learn_upsampling
    graph = check("fcn8s", "3x64x64").graph
    assert [graph.nodes[k].params.trainable for k in ("upscore2", "upscore_pool4", "upscore8")] == [False] * 3


def test_offset_crop_slices_at_the_offset():
    torch = pytest.importorskip("torch")
    from segkit.blocks.fcn import offset_crop

    x = torch.arange(2 * 3 * 10 * 12.0).reshape(2, 3, 10, 12)
    like = torch.zeros(1, 1, 4, 5)
    assert torch.equal(offset_crop(x, like, offset=3), x[:, :, 3:7, 3:8])
    assert torch.equal(offset_crop(x, like, offset=[1, 6]), x[:, :, 1:5, 6:11])
    with pytest.raises(segkit.SegkitError, match="offset"):
        segkit.check("""
segkit: 1
name: t
inputs: {x: 3, y: 3}
nodes:
  c: {block: offset_crop, from: x, like: y, offset: 5}
outputs: {out: c}
""", input={"x": "3x10x10", "y": "3x6x6"})

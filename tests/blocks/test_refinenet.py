"""RefineNet blocks (rcu, crp, mrf, refinenet) and specs/refinenet.yaml: the reference
parameter counts and MACs, the blocks' semantics against direct torch code, and
static shapes / params equal to the compiled module's."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import segkit
from segkit.errors import SegkitError

SPEC = Path(__file__).parent.parent.parent / "specs" / "refinenet.yaml"
SMALL = dict(input="3x64x64", depth=18, features=16)


def _block(block: str, inputs: dict[str, int], **fields) -> str:
    """A spec calling ``block`` on ``inputs`` (name -> channels) with ``fields``."""
    args = ", ".join(f"{k}: {v!r}".replace("True", "true").replace("False", "false").replace("None", "null")
                     for k, v in fields.items())
    return f"""
segkit: 1
name: t
inputs: {{{", ".join(f"{n}: {c}" for n, c in inputs.items())}}}
nodes:
  blk: {{block: {block}, from: [{", ".join(inputs)}]{", " + args if args else ""}}}
outputs: {{out: blk}}
"""


# -- the shipped spec ---------------------------------------------------------------


def test_reference_params_and_macs():
    report = segkit.check(SPEC)  # ResNet-101, 21 classes, 3x512x512
    assert report.params == 118_052_437  # REFERENCE.md, 4-stage CRP
    assert report.macs == 262_898_974_720  # REFERENCE.md: 262.9 GMACs @ 512x512
    assert report.outputs["out"].as_tuple() == (21, 512, 512)
    assert segkit.check(SPEC, crp_stages=2).params == 109_794_901  # official 2-stage CRP


def test_block_widths_and_strides():
    report = segkit.check(SPEC)
    rows = {r.id: r for r in report.rows}
    assert {k: (rows[k].shapes["out"].channels, rows[k].stride) for k in ("rf4", "rf3", "rf2", "rf1")} == {
        "rf4": (512, "32"), "rf3": (256, "16"), "rf2": (256, "8"), "rf1": (256, "4")}
    nodes = report.graph.nodes
    assert nodes["rf4.dimred0"].params.out == 512 and nodes["rf3.dimred0"].params.out == 256
    assert "rf4.mrf.conv0" not in nodes  # a single path has no fusion (official code)
    assert nodes["rf3.mrf.conv1"].params.out == 256  # 512 -> 256 for the rf4 path
    assert [n for n in nodes if n.startswith("rf1.crp.conv")] == [f"rf1.crp.conv{k}" for k in range(1, 5)]
    assert [n for n in nodes if n.startswith("rf1.output.") and n.endswith(".conv1")] == \
        [f"rf1.output.{j}.conv1" for j in range(3)]


def test_small_refinenet_compiles_and_matches_static():
    report = segkit.check(SPEC, **SMALL)
    model = segkit.build(SPEC, **SMALL)
    assert sum(p.numel() for p in model.parameters()) == report.params
    x = torch.randn(2, 3, 64, 64)
    out = model(x)
    assert tuple(out.shape) == (2, *report.outputs["out"].as_tuple()) == (2, 21, 64, 64)
    out.square().mean().backward()
    assert all(p.grad is not None for p in model.parameters())
    keys = set(model.state_dict())
    assert {"enc.layer1.0.conv1.weight", "rf4.dimred0.weight", "rf4.adapt0.1.conv1.bias", "rf3.mrf.conv1.weight",
            "rf1.crp.conv4.weight", "rf1.output.2.conv2.weight", "logits.bias"} <= keys
    assert "rf1.crp.conv1.bias" not in keys and "rf1.output.2.conv2.bias" not in keys


def test_paper_variant_params():
    # paper text: 1 output RCU per block, 2 RCUs + 1x1 classifier in the head
    official = segkit.check(SPEC, input="3x64x64")
    paper = segkit.check(SPEC, input="3x64x64", out_rcus=1, head_rcus=2, head_kernel=1)
    rcu512, rcu256 = 2 * 512 * 512 * 9 + 512, 2 * 256 * 256 * 9 + 256
    assert official.params - paper.params == 2 * (rcu512 + 3 * rcu256) - 2 * rcu256 + 256 * 21 * 8


# -- pinned block counts: RefineNet-101 at 512 / 256 features -------------------------
# DrSleep/refinenet-pytorch (models/resnet.py, utils/layer_factory.py), which follows the
# official MatConvNet code: RCUBlock convs are 3x3 with bias=(j == 0), i.e. on the first
# conv only; CRPBlock convs have no bias; the dimension reductions are 3x3 without bias.

RCU_512 = 2 * 512 * 512 * 9 + 512
CRP_512 = 4 * 512 * 512 * 9


def test_rcu_and_crp_of_refinenet4():
    # adapt_stage1_b / mflow_conv_g1_b units: RCUBlock(512, 512, n, 2), one RCU each
    assert segkit.check(_block("rcu", {"x": 512}), input="512x16x16").params == RCU_512 == 4_719_104
    # mflow_conv_g1_pool: CRPBlock(512, 512, 4); the official configs' 2 stages
    assert segkit.check(_block("crp", {"x": 512}), input="512x16x16").params == CRP_512 == 9_437_184
    assert segkit.check(_block("crp", {"x": 512}, stages=2), input="512x16x16").params == 4_718_592


def test_mrf_of_refinenet3():
    # the fusion into RefineNet-3: adapt_stage2_b2_joint_varout_dimred conv3x3(256, 256) on
    # the adapted stride-16 path, mflow_conv_g1_b3_joint_varout_dimred conv3x3(512, 256) on
    # RefineNet-4's output; the paths are summed at the finer size
    report = segkit.check(_block("mrf", {"c4": 256, "rf4": 512}), input={"c4": "256x32x32", "rf4": "512x16x16"})
    assert report.params == (256 + 512) * 256 * 9 == 1_769_472
    spec = segkit.check(SPEC)
    assert spec["rf3.mrf.conv0"].params + spec["rf3.mrf.conv1"].params == 1_769_472


def test_refinenet4_block_of_refinenet101():
    """RefineNet-4 at 512 features on ResNet-101's 2048-channel c5 (REFERENCE.md: widths
    512 for RefineNet-4; two RCUs per path; MRF; CRP; output RCUs, 3 in the official code)."""
    dimred = 2048 * 512 * 9  # p_ims1d2_outl1_dimred: the adaptive conv, 3x3, no bias
    adapt = 2 * RCU_512  # adapt_stage1_b: 2 RCUs on the one path
    mrf = 0  # one path: the fusion passes it through (no conv)
    output = 3 * RCU_512  # mflow_conv_g1_b: RCUBlock(512, 512, 3, 2)
    by_hand = dimred + adapt + mrf + CRP_512 + output
    assert by_hand == 42_469_888
    block = _block("refinenet", {"c5": 2048}, features=512, out_rcus=3)
    assert segkit.check(block, input="2048x16x16").params == by_hand
    assert segkit.check(SPEC)["rf4"].params == by_hand  # the rf4 node of specs/refinenet.yaml


# -- the blocks -----------------------------------------------------------------------


def _weights(model):
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.2)
    return dict(model.named_parameters())


def test_rcu_is_relu_conv_relu_conv_plus_identity():
    spec = _block("rcu", {"x": 6})
    report = segkit.check(spec, input="6x7x9")
    assert report.params == 2 * 6 * 6 * 9 + 6  # bias on the first conv only, no BN
    model = segkit.build(spec, input="6x7x9")
    w = _weights(model)
    x = torch.randn(2, 6, 7, 9)
    y = F.conv2d(F.relu(x), w["blk.conv1.weight"], w["blk.conv1.bias"], padding=1)
    y = F.conv2d(F.relu(y), w["blk.conv2.weight"], padding=1) + x
    torch.testing.assert_close(model(x), y)


def test_rcu_width_change_uses_projection():
    report = segkit.check(_block("rcu", {"x": 6}, out=4, bias="none"), input="6x5x5")
    assert report.outputs["out"].channels == 4
    assert report.params == 4 * 6 * 9 + 4 * 4 * 9 + 4 * 6


@pytest.mark.parametrize("order", ["pool_conv", "conv_pool"])
def test_crp_chains_and_sums(order):
    spec = _block("crp", {"x": 5}, stages=3, order=order)
    report = segkit.check(spec, input="5x9x8")
    assert report.params == 3 * 5 * 5 * 9 and report.outputs["out"].as_tuple() == (5, 9, 8)
    model = segkit.build(spec, input="5x9x8")
    w = _weights(model)
    x = torch.randn(2, 5, 9, 8)
    pool = lambda t: F.max_pool2d(t, 5, 1, 2)  # noqa: E731
    total = top = F.relu(x)
    for k in range(1, 4):
        conv = lambda t: F.conv2d(t, w[f"blk.conv{k}.weight"], padding=1)  # noqa: E731
        top = conv(pool(top)) if order == "pool_conv" else pool(conv(top))
        total = total + top
    torch.testing.assert_close(model(x), total)


def test_mrf_fuses_any_number_of_paths():
    spec = _block("mrf", {"a": 8, "b": 16, "c": 4})
    report = segkit.check(spec, input={"a": "8x16x16", "b": "16x8x8", "c": "4x4x4"})
    assert report.outputs["out"].as_tuple() == (4, 16, 16)  # smallest width, finest size
    assert report.params == (8 + 16 + 4) * 4 * 9
    model = segkit.build(spec, input={"a": "8x16x16", "b": "16x8x8", "c": "4x4x4"})
    w = _weights(model)
    a, b, c = torch.randn(1, 8, 16, 16), torch.randn(1, 16, 8, 8), torch.randn(1, 4, 4, 4)
    up = lambda t: F.interpolate(t, size=(16, 16), mode="bilinear", align_corners=False)  # noqa: E731
    want = (F.conv2d(a, w["blk.conv0.weight"], padding=1) + up(F.conv2d(b, w["blk.conv1.weight"], padding=1))
            + up(F.conv2d(c, w["blk.conv2.weight"], padding=1)))
    torch.testing.assert_close(model(a=a, b=b, c=c), want)


def test_mrf_single_path_and_target():
    assert segkit.check(_block("mrf", {"a": 8}), input="8x5x5").params == 0  # passes through
    assert segkit.check(_block("mrf", {"a": 8}, features=4), input="8x5x5").params == 8 * 4 * 9
    spec = _block("mrf", {"low": 8, "high": 8}, target=1)
    report = segkit.check(spec, input={"low": "8x4x4", "high": "8x8x8"})
    assert report.outputs["out"].as_tuple() == (8, 8, 8)
    with pytest.raises(SegkitError) as info:
        segkit.check(_block("mrf", {"a": 8, "b": 8}, target=2), input={"a": "8x4x4", "b": "8x4x4"})
    assert info.value.message.startswith("param 'target' of block 'mrf': 2 names no input")


def test_refinenet_block_any_number_of_paths():
    spec = _block("refinenet", {"a": 32, "b": 64, "c": 16}, features=8, crp_stages=2, adapt=[True, True, False])
    shapes = {"a": "32x16x16", "b": "64x8x8", "c": "16x4x4"}
    report = segkit.check(spec, input=shapes)
    assert report.outputs["out"].as_tuple() == (8, 16, 16)
    rcu = 2 * 8 * 8 * 9 + 8
    dimred = (32 + 64) * 8 * 9
    mrf = (8 + 8 + 16) * 8 * 9
    assert report.params == dimred + 2 * 2 * rcu + mrf + 2 * 8 * 8 * 9 + 1 * rcu
    model = segkit.build(spec, input=shapes)
    out = model(a=torch.randn(1, 32, 16, 16), b=torch.randn(1, 64, 8, 8), c=torch.randn(1, 16, 4, 4))
    assert tuple(out.shape) == (1, 8, 16, 16)
    with pytest.raises(SegkitError) as info:
        segkit.check(_block("refinenet", {"a": 8, "b": 8}, adapt=[True]), input={"a": "8x4x4", "b": "8x4x4"})
    assert info.value.message.startswith("param 'adapt' of block 'refinenet': has 1 flags but the node has 2")


@pytest.mark.parametrize("field", ["pool", "kernel"])
def test_crp_even_windows_are_param_errors(field):
    """An even window would shrink or grow the map and fail at the inner sum; the error
    names the crp param instead (on the node's line, where _block writes it)."""
    with pytest.raises(SegkitError) as info:
        segkit.check(_block("crp", {"a": 8}, **{field: 4}), input="8x8x8")
    assert info.value.message.startswith(f"param '{field}' of block 'crp': Value error, must be odd")
    assert info.value.loc.line == 6


def test_python_blocks_register_without_torch():
    import subprocess
    import sys

    code = ("import sys; from segkit.blocks import crp, mrf, refinenet; got = []\n"
            "for m in (crp, mrf, refinenet): m.segkit_register_blocks(register=got.append)\n"
            "assert [b.name for b in got] == ['crp', 'mrf', 'refinenet'], got\n"
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)

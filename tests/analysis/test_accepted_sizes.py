"""Accepted input sizes, strides and receptive fields, against hand derivations and
against brute force (checking each size and seeing whether it raises). The rules here
are derived (``bound`` None): every op has a symbolic size rule."""
import pytest

import segkit
from segkit.analysis.size_rule import SizeRule
from segkit.errors import SegkitError, ShapeError
from tests.lang._util import spec

STRIDE2_X3 = spec("""
a: {block: conv, out: 4, stride: 2}
b: {block: conv, out: 4, stride: 2}
c: {block: conv, out: 4, stride: 2}
""", outputs="{out: c}")

# full-resolution path + (stride-2 path upsampled x2), added: H must be even
UNET1 = spec("""
full: {block: conv, out: 4}
down: {block: conv, from: x, out: 4, stride: 2}
up: {block: resize, scale: 2}
fuse: {block: add, from: [full, up]}
""", outputs="{out: fuse}")

# two levels, with the intermediate skip too: multiples of 4
UNET2 = spec("""
full: {block: conv, out: 4}
d1: {block: conv, from: x, out: 4, stride: 2}
d2: {block: conv, out: 4, stride: 2}
u2: {block: resize, scale: 2}
f1: {block: add, from: [d1, u2]}
u1: {block: resize, scale: 2}
fuse: {block: add, from: [full, u1]}
""", outputs="{out: fuse}")

# the same joined by concat, which (unlike add) does not broadcast 1x1 against 2x2
UNET1_CAT = UNET1.replace("{block: add, from: [full, up]}", "{block: concat, from: [full, up]}")
UNET2_CAT = UNET2.replace("block: add", "block: concat")

# k valid 3x3 convs: H - 2k >= 1
VALID = {k: spec("a: {block: conv, out: 4, padding: 0, repeat: %d}" % k) for k in (1, 2, 3, 5)}

# maxpool 2 then unpool: every size round-trips (odd sizes included)
POOL_UNPOOL = spec("""
p: {block: maxpool, return_indices: true}
u: {block: unpool, indices: p}
""", outputs="{out: u}")

# maxpool 2 then x2 upsample added to the input: only even sizes
POOL_ADD = spec("""
p: {block: maxpool}
u: {block: resize, scale: 2}
s: {block: add, from: [x, u]}
""", outputs="{out: s}")


# crop x to a 3x3 stride-2 transposed conv of its 2x2 pool: 2*floor(s/2) + 1 <= s, so s odd
CROP_ODD = spec("""
p: {block: maxpool}
u: {block: conv_transpose, out: 3, kernel: 3, stride: 2}
c: {block: crop, from: x, like: u}
""", outputs="{out: c}", inputs="{x: {channels: 3, size: 255}}")

# instance norm after a 2x2 pool needs more than one pixel: floor(s/2) >= 2
POOL_IN = spec("""
p: {block: maxpool}
n: {block: in}
""", outputs="{out: n}")


def accepts(text, size, channels=3):
    try:
        segkit.check(text, input=f"{channels}x{size}x{size}")
    except SegkitError:
        return False
    return True


@pytest.mark.parametrize("text,expected,rule", [
    # conv k3 s2 p1: out = floor((s - 1) / 2) + 1 >= 1 for every s >= 1
    (STRIDE2_X3, "H, W >= 1", SizeRule(1, 1, (0,))),
    # 2 * ceil(s / 2) == s  <=>  s even
    (UNET1, "H, W a multiple of 2, >= 2 (also 1)", SizeRule(2, 2, (0,), (1,))),  # 1x1 broadcasts in add
    # 4 * ceil(s / 4) == s and 2 * ceil(s / 4) == ceil(s / 2)  <=>  s % 4 == 0
    (UNET2, "H, W a multiple of 4, >= 4 (also 1)", SizeRule(4, 4, (0,), (1,))),
    (VALID[1], "H, W >= 3", SizeRule(3, 1, (0,))),
    (VALID[2], "H, W >= 5", SizeRule(5, 1, (0,))),
    (VALID[3], "H, W >= 7", SizeRule(7, 1, (0,))),
    (VALID[5], "H, W >= 11", SizeRule(11, 1, (0,))),
    (POOL_UNPOOL, "H, W >= 2", SizeRule(2, 1, (0,))),
    (POOL_ADD, "H, W a multiple of 2, >= 2", SizeRule(2, 2, (0,))),
    (UNET1_CAT, "H, W a multiple of 2, >= 2", SizeRule(2, 2, (0,))),
    (UNET2_CAT, "H, W a multiple of 4, >= 4", SizeRule(4, 4, (0,))),
    (CROP_ODD, "H, W 2k + 1, >= 3", SizeRule(3, 2, (1,))),
    (POOL_IN, "H, W >= 2; and H >= 4 or W >= 4", SizeRule(2, 1, (0,))),  # 2x4 pools to 1x2: instance norm takes it
])
def test_describe_sizes_by_hand(text, expected, rule):
    report = segkit.check(text)
    assert report.describe_sizes() == expected
    assert report.accepted_sizes == [rule, rule]


@pytest.mark.parametrize("text", [
    pytest.param(STRIDE2_X3, id="stride2x3"),
    pytest.param(UNET1_CAT, id="unet1-concat"),
    pytest.param(UNET2_CAT, id="unet2-concat"),
    pytest.param(VALID[3], id="valid3"),
    pytest.param(POOL_UNPOOL, id="pool-unpool"),
    pytest.param(UNET1, id="unet1-add"),
    pytest.param(POOL_ADD, id="pool-add"),
    pytest.param(CROP_ODD, id="crop-odd"),
    pytest.param(POOL_IN, id="pool-in"),
])
def test_size_rule_matches_brute_force(text):
    rules = segkit.check(text).accepted_sizes
    brute = [s for s in range(1, 81) if accepts(text, s)]
    assert brute == [s for s in range(1, 81) if rules.accepts((s, s))]


@pytest.mark.parametrize("text", [UNET1, UNET2], ids=["unet1-add", "unet2-add"])
def test_size_rule_matches_brute_force_above_one(text):
    rule = segkit.check(text).accepted_sizes[0]
    assert [s for s in range(2, 81) if accepts(text, s)] == [s for s in range(2, 81) if rule.accepts(s)]


@pytest.mark.parametrize("name,expected,sizes", [
    # pools floor to /8, /16, /32; the 2x transposed convs then match the skips only
    # when s mod 16 < 8 and s mod 32 < 16, i.e. s mod 32 in 0..7; pool5 needs s >= 32
    ("examples/fcn8s_tiny", "H, W = 0..7 (mod 32), >= 32", [1, 8, 31, 32, 33, 39, 40, 47, 63, 64, 70, 71, 72]),
    ("examples/segnet_tiny", "H, W >= 8", [1, 4, 7, 8, 9, 13, 17]),
    # valid U-Net: 44 is the smallest size whose decoder keeps a positive size
    ("examples/unet_valid_tiny", "H, W >= 44", [20, 40, 43, 44, 45, 51]),
])
def test_examples_size_rules(name, expected, sizes):
    report = segkit.check(name)
    assert report.describe_sizes() == expected
    rule = report.accepted_sizes[0]
    channels = report.input_shapes["image"].channels
    for size in sizes:
        assert accepts(name, size, channels) == rule.accepts(size), size


def test_anisotropic_rule_per_dim():
    text = spec("""
        a: {block: conv, out: 4, padding: 0, kernel: [5, 1]}
        b: {block: maxpool, kernel: [1, 2]}
    """, outputs="{out: b}", inputs="{x: {channels: 3, size: [32, 48]}}")
    report = segkit.check(text)
    assert report.describe_sizes() == "H >= 5; W >= 2"
    rule_h, rule_w = report.accepted_sizes
    for h in range(1, 12):
        ok = True
        try:
            segkit.check(text, input=f"3x{h}x48")
        except SegkitError:
            ok = False
        assert ok == rule_h.accepts(h), h
    for w in range(1, 6):
        ok = True
        try:
            segkit.check(text, input=f"3x32x{w}")
        except SegkitError:
            ok = False
        assert ok == rule_w.accepts(w), w


def test_rank1_and_rank3():
    one = spec("""
        a: {block: conv, out: 4, stride: 2}
        b: {block: resize, scale: 2}
        c: {block: add, from: [x, b]}
    """, outputs="{out: c}", inputs="{x: {channels: 4, rank: 1, size: 16}}")
    assert segkit.check(one).describe_sizes() == "L a multiple of 2, >= 2 (also 1)"
    three = spec("a: {block: conv, out: 4, padding: 0}", inputs="{x: {channels: 4, rank: 3, size: 16}}")
    assert segkit.check(three).describe_sizes() == "D, H, W >= 3"


def test_strides_and_receptive_fields_by_hand():
    report = segkit.check(spec("""
        a: {block: conv, out: 4}
        b: {block: conv, out: 4, stride: 2}
        c: {block: conv, out: 4}
        d: {block: conv, out: 4, dilation: 2}
        e: {block: maxpool}
        f: {block: resize, scale: 2}
    """, outputs="{out: f}"))
    # rf_out = rf_in + (k_eff - 1) * jump_in: 3, 3+2*1, 5+2*2, 9+4*2, 17+1*2; resize keeps rf
    assert [(r.id, r.stride, r.receptive_field) for r in report.rows] == [
        ("a", "1", "3"), ("b", "2", "5"), ("c", "2", "9"), ("d", "2", "17"), ("e", "4", "19"), ("f", "2", "19")]


def test_stride2_chain_rf_and_shapes():
    report = segkit.check(STRIDE2_X3, input="3x33x33")
    assert [(r.id, r.stride, r.receptive_field, r.shape) for r in report.rows] == [
        ("a", "2", "3", "4x17x17"), ("b", "4", "7", "4x9x9"), ("c", "8", "15", "4x5x5")]
    assert segkit.check(STRIDE2_X3, input="3x1x1").outputs["out"].spatial == (1, 1)


def test_anisotropic_stride_and_rf_text():
    report = segkit.check(spec("a: {block: conv, out: 4, kernel: [3, 1], stride: [1, 2]}"))
    assert (report["a"].stride, report["a"].receptive_field) == ("1x2", "3x1")


def test_global_pool_rf():
    report = segkit.check(spec("""
        a: {block: conv, out: 4}
        g: {block: global_avgpool}
    """, outputs="{out: g}"))
    assert report["g"].receptive_field == "global"
    assert report["g"].shape == "4x1x1"


def test_params_and_macs_by_hand():
    report = segkit.check(spec("""
        a: {block: conv, out: 8, stride: 2}
        b: {block: conv, out: 2, kernel: 1, bias: false}
    """, outputs="{out: b}"), input="3x16x16")
    assert report["a"].params == 3 * 8 * 9 + 8
    assert report["a"].macs == 8 * 8 * 8 * 3 * 9
    assert report["b"].params == 16 and report["b"].macs == 2 * 8 * 8 * 8
    assert report.params == 240 and report.macs == 8 * 8 * 8 * 27 + 2 * 8 * 8 * 8


def test_describe_sizes_leaves_report_at_reference():
    report = segkit.check(UNET2, input="3x64x64")
    before = dict(report.outputs)
    report.describe_sizes()
    assert report.outputs == before == {"out": segkit.Shape(4, (64, 64))}


def test_mismatch_message_and_hint():
    with pytest.raises(ShapeError) as info:
        segkit.check(UNET1, input="3x33x33")
    err = info.value
    assert err.loc.line == 9
    assert "node 'fuse' (add): spatial sizes differ" in err.message
    assert "'full' gives 4x33x33 but 'up' gives 4x34x34 for input 3x33x33" in err.message
    assert err.hint == "this spec accepts H, W a multiple of 2, >= 2 (also 1); try --input 3x32x32"


def test_too_small_input_hint():
    with pytest.raises(ShapeError, match="too small") as info:
        segkit.check(VALID[3], input="3x6x6")
    assert info.value.hint.endswith("try --input 3x7x7")


def test_size_rule_examples_and_describe():
    rule = SizeRule(32, 32, tuple(range(8)))
    assert rule.accepts(39) and not rule.accepts(40) and not rule.accepts(7)
    assert rule.examples(40, 2) == [39, 38]
    assert rule.examples(50, 3) == [39, 38, 37]
    assert rule.examples(60, 2) == [64, 65]
    assert rule.describe("H") == "H = 0..7 (mod 32), >= 32"
    assert SizeRule(5, 4, (1,)).describe("W") == "W 4k + 1, >= 5"
    assert SizeRule(None, 1, ()).accepts(10) is False
    assert SizeRule(None, 1, ()).describe("H") == "H: no size works"
    assert SizeRule(None, 1, (), (1, 2)).describe("L") == "L: only 1, 2 works"
    # a scanned rule says how far it was checked
    assert SizeRule(8, 8, (0,), bound=64).describe("H") == "H a multiple of 8, >= 8 (checked up to 64 only)"

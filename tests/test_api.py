"""The Python API: segkit.check / segkit.build / segkit.resolve / segkit.load_spec."""
import subprocess
import sys

import pytest

import segkit
from segkit.analysis.report import Report
from segkit.errors import InputError, RegistryError, SegkitError
from tests.lang._util import EXAMPLE_NAMES, EXAMPLES, REPO, spec

SMALL = spec("""
a: {block: conv, out: 8, stride: 2}
b: {block: conv_bn_act, out: 4}
c: {block: conv, out: 2, kernel: 1}
""", outputs="{out: c}")


def test_check_returns_report():
    report = segkit.check(SMALL, input="3x16x16")
    assert isinstance(report, Report)
    assert report.input_shapes == {"x": segkit.Shape(3, (16, 16))}
    assert report.outputs == {"out": segkit.Shape(2, (8, 8))}
    assert [r.id for r in report.rows] == ["a", "b", "c"]
    assert [r.id for r in report.nodes] == ["a", "b.conv", "b.bn", "b.act", "c"]
    assert report["b"].block == "conv_bn_act" and report["b.conv"].block == "conv"
    expected_params = (3 * 8 * 9 + 8) + (8 * 4 * 9 + 2 * 4) + (4 * 2 + 2)
    assert report.params == expected_params == sum(r.params for r in report.rows)
    expected_macs = 8 * 8 * (8 * 3 * 9) + 8 * 8 * (4 * 8 * 9) + 8 * 8 * (2 * 4)
    assert report.macs == expected_macs
    assert report["b"].params == 8 * 4 * 9 + 2 * 4  # bn: no conv bias
    assert report["b"].shape == "4x8x8"
    with pytest.raises(KeyError):
        report["nope"]


def test_check_params_override_and_input_dict():
    text = spec("a: {block: conv, out: '${w}'}", params="{w: 4}", inputs="{x: 3, y: 1}")
    text = text.replace("a: {block: conv,", "a: {block: conv, from: x,")
    report = segkit.check(text, input={"x": "3x8x8", "y": segkit.Shape(1, (8, 8))}, w=6)
    assert report.outputs["out"] == segkit.Shape(6, (8, 8))
    assert report.graph.params == {"w": 6}


def test_check_input_errors():
    with pytest.raises(InputError) as info:
        segkit.check(SMALL, input="3x0x4")
    assert info.value.loc.file == "--input"
    with pytest.raises(InputError, match="CxHxW"):
        segkit.check(SMALL, input="banana")
    two = spec("a: {block: conv, from: x, out: 4}", inputs="{x: 3, y: 3}")
    with pytest.raises(InputError, match="one size per input"):
        segkit.check(two, input="3x8x8")


def test_check_accepts_path_text_and_loaded_spec(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SMALL)
    by_path = segkit.check(path)
    by_str_path = segkit.check(str(path))
    by_text = segkit.check(SMALL)
    by_spec = segkit.check(segkit.load_spec(SMALL))
    assert by_path.outputs == by_str_path.outputs == by_text.outputs == by_spec.outputs
    assert by_path.graph.nodes["a"].loc.file == str(path)
    assert by_text.graph.nodes["a"].loc.file == "<string>"


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_registered_spec_name(name):
    report = segkit.check(name)
    path = REPO / "specs" / f"{name}.yaml"
    assert report.graph.spec.path.name == path.name
    assert report.graph.spec.path.read_text() == path.read_text()
    assert report.outputs == segkit.check(path).outputs
    assert report.params > 0 and report.macs > 0


def test_unknown_spec_name_suggests():
    with pytest.raises(RegistryError, match="unknown spec 'examples/fcn8s_tinyy'") as info:
        segkit.check("examples/fcn8s_tinyy")
    assert "did you mean 'examples/fcn8s_tiny'" in info.value.hint


def test_build_returns_graph_module():
    import torch
    import torch.fx

    model = segkit.build(SMALL, input="3x16x16")
    assert isinstance(model, torch.fx.GraphModule)
    code = model.code
    for name in ("def forward(self, x)", "self.a(x)", "b_conv", "b_bn", "b_act", "self.c("):
        assert name in code, name
    assert "for " not in code
    keys = list(model.state_dict())
    assert keys[:2] == ["a.weight", "a.bias"] and "b.conv.weight" in keys and "b.bn.running_mean" in keys
    assert sum(p.numel() for p in model.parameters()) == segkit.check(SMALL).params
    model.eval()
    with torch.no_grad():
        y = model(torch.randn(2, 3, 16, 16))
    assert tuple(y.shape) == (2, 2, 8, 8)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_build_examples_output_shape_equals_static_shape(path):
    import torch

    report = segkit.check(path)
    rule = report.accepted_sizes[0]
    size = rule.examples(48, 1)[0]
    channels = report.input_shapes["image"].channels
    report = segkit.check(path, input=f"{channels}x{size}x{size}")
    model = segkit.build(path, input=f"{channels}x{size}x{size}")
    model.eval()
    with torch.no_grad():
        y = model(torch.randn(1, channels, size, size))
    assert tuple(y.shape[1:]) == report.outputs["out"].as_tuple()
    assert sum(p.numel() for p in model.parameters()) == report.params


def test_build_error_is_segkit_error():
    with pytest.raises(SegkitError):
        segkit.build(SMALL, input="3x0x0")


def test_resolve_returns_graph():
    graph = segkit.resolve(SMALL, input="3x16x16")
    assert list(graph.nodes) == ["a", "b.conv", "b.bn", "b.act", "c"]
    assert graph.nodes["c"].meta["shapes"]["out"] == segkit.Shape(2, (8, 8))
    assert list(graph.groups) == ["a", "b", "c"]


def test_public_names():
    for name in ("check", "build", "resolve", "load_spec", "Shape", "SegkitError", "SourceLoc", "Block"):
        assert name in segkit.__all__ and hasattr(segkit, name)


def test_check_does_not_import_torch():
    code = (
        "import sys\n"
        "import segkit\n"
        "r = segkit.check('examples/fcn8s_tiny', input='3x64x64')\n"
        "r.describe_sizes()\n"
        "segkit.check(" + repr(SMALL) + ")\n"
        "try:\n"
        "    segkit.check('examples/fcn8s_tiny', input='3x65x65')\n"
        "except segkit.SegkitError:\n"
        "    pass\n"
        "bad = sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.'))\n"
        "print('TORCH' if bad else 'CLEAN', bad[:3])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("CLEAN"), result.stdout

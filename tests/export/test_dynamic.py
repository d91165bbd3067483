"""`segkit export --dynamic` / export_model(dynamic=...): one file for every accepted
input size, checked at several, with the rule stored in it; the dynamic lint names
the nodes that keep a spec to one size. Every shipped spec is exported dynamically or
refused with the reason: its lint verdict here, the full export (`segkit.export`) in a
slow test."""
from __future__ import annotations

import glob
import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import segkit
from segkit.cli.group import main
from segkit.errors import SegkitError
from segkit.export import dynamic as plan
from segkit.export.dynamic_lint import lint_dynamic
from segkit.export.exporters import ExportCheckError, export_model
from tests.export._util import EXAMPLES, SPECS

SHIPPED = sorted(Path(p).name for p in glob.glob(str(SPECS / "*.yaml")))
REFUSED_ONNX = {  # spec -> a node the dynamic lint names
    "deconvnet.yaml": "unpool1", "enet.yaml": "b4_0.unpool", "icnet.yaml": "ppm.pool2", "pspnet.yaml": "ppm.pool2",
    "segnet.yaml": "up1", "upernet.yaml": "ppm.pool2",
}
VERDICT = "DYNAMIC-EXPORT-VERDICT"
"""The mark of the slow test's one line per spec and format."""


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def small_input(spec) -> str:
    """A small accepted input of ``spec`` (>= 64 per dim)."""
    report = segkit.check(spec, train_heads=False)
    shape = next(iter(report.graph.input_shapes.values()))
    return "x".join(map(str, (shape.channels, *(r.at_least(max(r.minimum or 1, 64)) for r in report.accepted_sizes))))


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_spec_has_a_dynamic_onnx_verdict(name):
    issues = lint_dynamic(segkit.check(SPECS / name, train_heads=False).graph, "onnx")
    if name not in REFUSED_ONNX:
        assert issues == []
        return
    assert REFUSED_ONNX[name] in {i.node for i in issues}
    for issue in issues:
        text = issue.format()
        assert issue.loc.line and "at other input sizes" in issue.message and "exported-program" in issue.hint, text


@pytest.mark.parametrize("fmt", ["onnx", "exported-program"])
def test_export_is_valid_at_several_accepted_sizes(fmt, tmp_path):
    spec, shape, params = EXAMPLES["fcn8s_tiny"]
    report = segkit.check(spec, input=shape, train_heads=False, **params)
    model = segkit.build(spec, input=shape, train_heads=False, **params)
    example = {"image": torch.randn(1, *report.graph.input_shapes["image"].as_tuple())}
    rules = report.accepted_sizes  # H, W = 0..7 (mod 32), >= 32
    path = tmp_path / ("m.onnx" if fmt == "onnx" else "m.pt2")
    result = export_model(model, example, fmt, path, dynamic=rules, check_batch=2)
    assert len(result.sizes) >= 3 and len(set(result.sizes)) == len(result.sizes)
    exported = rules if fmt == "onnx" else plan.exported_rules(rules, (64, 64))
    assert all(r.accepts(s) for size in result.sizes for r, s in zip(exported, size))
    expected = "H, W = 0..7 (mod 32), >= 32" if fmt == "onnx" else "H, W a multiple of 32, >= 32"
    assert result.rule == expected and result.max_abs_diff < 1e-4
    if fmt == "onnx":
        import onnx

        props = {p.key: p.value for p in onnx.load(path).metadata_props}
        assert props[plan.METADATA_KEY] == expected
        assert [d.dim_param for d in onnx.load(path).graph.input[0].type.tensor_type.shape.dim] == \
            ["batch", "", "H", "W"]
    else:
        files = {plan.METADATA_KEY: "", "segkit.spec_accepted_sizes": ""}
        torch.export.load(path, extra_files=files)
        assert files == {plan.METADATA_KEY: expected, "segkit.spec_accepted_sizes": "H, W = 0..7 (mod 32), >= 32"}


def test_cli_dynamic_prints_the_rule_and_the_checked_sizes(tmp_path):
    out = tmp_path / "u.pt2"
    result = run("export", SPECS / "unet_small.yaml", "--input", "3x32x32", "--dynamic", "-o", out)
    assert result.exit_code == 0, result.output
    assert "every input size with H, W a multiple of 16, >= 16" in result.output
    assert "at sizes 32x32, 48x48, 64x32" in result.output


def test_cli_dynamic_refusals_exit_2(tmp_path):
    spec, shape, params = EXAMPLES["segnet_tiny"]
    result = run("export", spec, "--input", shape, *(f"--set={k}={v}" for k, v in params.items()), "--dynamic",
                 "-o", tmp_path / "s.onnx")
    assert result.exit_code == 2 and "max-unpooling" in result.output and "for every input size" in result.output
    assert not (tmp_path / "s.onnx").exists()
    result = run("export", spec, "--input", shape, "--dynamic", "-o", tmp_path / "s.ts")
    assert result.exit_code == 2 and "no dynamic form" in result.output


class SizeBranch(torch.nn.Module):
    """Computes differently at width 8: torch.export specialises on the width."""

    def forward(self, image):
        return image * 2 if image.shape[-1] == 8 else image


def test_a_model_torch_export_specialises_is_refused_and_not_written(tmp_path):
    example = {"image": torch.randn(1, 3, 8, 8)}
    rules = [segkit.analysis.size_rule.SizeRule(3, 1, (0,))] * 2
    with pytest.raises(ExportCheckError, match="cannot export for every accepted input size"):
        export_model(SizeBranch(), example, "exported-program", tmp_path / "m.pt2", dynamic=rules)
    assert not (tmp_path / "m.pt2").exists()


CROP_UP_SPEC = """segkit: 1
name: crop-up
inputs:
  image: 3
nodes:
  down: {block: maxpool, from: image}
  up: {block: transition_up, from: [down, image]}
outputs:
  out: up
"""
"""FC-DenseNet's up step: its crop removes one pixel at even sizes, none at odd."""
UNPOOL_SPEC = """segkit: 1
name: unpool
inputs:
  image: 3
nodes:
  pool: {block: maxpool, from: image, return_indices: true, ceil_mode: true}
  up: {block: unpool, from: pool, indices: pool}
outputs:
  out: up
"""
"""The up step of SegNet, DeconvNet and ENet."""


@pytest.mark.parametrize("spec", [CROP_UP_SPEC, UNPOOL_SPEC], ids=["crop", "unpool"])
def test_crop_and_unpool_export_for_both_parities(spec, tmp_path):
    """torch.export keeps the size of a crop (which may remove nothing) and of a
    max-unpooling symbolic: the file runs at even and odd sizes."""
    report = segkit.check(spec, input="3x16x16", train_heads=False)
    model = segkit.build(spec, input="3x16x16", train_heads=False)
    example = {"image": torch.randn(1, *report.graph.input_shapes["image"].as_tuple())}
    result = export_model(model, example, "exported-program", tmp_path / "m.pt2", dynamic=report.accepted_sizes)
    assert {s[0] % 2 for s in result.sizes} == {0, 1} and result.max_abs_diff < 1e-4


def test_sizes_command():
    result = run("sizes", SPECS / "unet_small.yaml", "--near", "500x375")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith("H, W a multiple of 16, >= 16")
    assert lines[1] == "nearest accepted to 500x375: H 496, 512, 480; W 368, 384, 352"
    assert "zero-pad to 512x384 (12 bottom, 9 right)" in lines[2]
    assert "--minShapes=image:1x3x16x16 --optShapes=image:1x3x512x384 --maxShapes=image:1x3x4096x4096" in lines[3]
    result = run("sizes", SPECS / "unet_resnet34.yaml", "--near", "64")
    assert "ExportedProgram exported at this size takes H, W a multiple of 32, >= 32" in result.output
    result = run("sizes", SPECS / "unet_small.yaml", "--near", "5x")
    assert result.exit_code == 2 and "--near takes 2 positive sizes" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["onnx", "exported-program"])
@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_spec_exports_dynamically_or_is_refused(name, fmt, tmp_path):
    """Exported, and checked at three or more accepted sizes, or refused by the lint, which
    names each node with the reason and a fix; nothing else. Each case prints one VERDICT
    line, which benchmarks/dynamic_export_table.py makes a table of."""
    path = tmp_path / ("m.onnx" if fmt == "onnx" else "m.pt2")
    verdict = {"spec": name, "format": fmt}
    try:
        result = segkit.export(SPECS / name, path, input=small_input(SPECS / name), dynamic=True)
    except SegkitError as exc:
        issues = getattr(exc, "issues", [])
        verdict.update(nodes=[i.node for i in issues], refused="; ".join(dict.fromkeys(
            i.message for i in issues)) or exc.message, hint=exc.hint)
        print(VERDICT, json.dumps(verdict))
        assert not path.exists()
        assert issues and fmt == "onnx" and REFUSED_ONNX.get(name) in verdict["nodes"], exc.format()
        assert exc.hint or all(i.hint for i in issues), exc.format()  # the fix: per node, or for the export
        assert all(i.loc.line for i in issues), exc.format()  # the node, located, with its reason
        return
    verdict.update(rule=result.rule, sizes=result.sizes, runtime_guards=result.runtime_guards)
    print(VERDICT, json.dumps(verdict))
    assert not (fmt == "onnx" and name in REFUSED_ONNX)
    assert result.path.exists() and len(result.sizes) >= 3 and result.max_abs_diff < 1e-4

"""The export lint: torch-free, located, and quiet on the shipped specs that export."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from segkit.api import resolve
from segkit.export import ExportLintError, check_export, lint_export, suggest_input
from tests.export._util import EXAMPLES, ROOT, SPECS, adaptive_spec

NOT_AT_THEIR_EXAMPLE_SIZE = ("icnet.yaml", "upernet.yaml")
"""Pyramid pooling whose bins do not divide the map at the spec's example size."""
SHIPPED = sorted(p for p in SPECS.rglob("*.yaml") if p.name not in NOT_AT_THEIR_EXAMPLE_SIZE)


def graph_of(spec, input=None, **params):
    return resolve(spec, input, train_heads=False, **params)


@pytest.mark.parametrize("op", ["adaptive_avgpool", "adaptive_maxpool"])
def test_non_dividing_adaptive_pooling_is_a_located_error_naming_the_node(op):
    graph = graph_of(adaptive_spec(3, op), "3x16x16")
    with pytest.raises(ExportLintError) as info:
        check_export(graph)
    (issue,) = info.value.issues
    assert (issue.node, issue.op, issue.severity) == ("pool", op, "error")
    assert (issue.loc.line, issue.loc.column) == (7, 3)
    text = info.value.format()
    assert "<string>:7:3: error: node 'pool' (" + op + "): adaptive" in text
    assert "16x16 -> 3x3" in text and "16 is not a multiple of 3" in text
    assert "try --input 3x15x15" in text  # the nearest size that divides


def test_dividing_and_global_pooling_pass():
    assert lint_export(graph_of(adaptive_spec(4), "3x16x16")) == []
    assert lint_export(graph_of(adaptive_spec(1), "3x17x13")) == []


def test_upsampling_adaptive_pooling_is_an_error():
    with pytest.raises(ExportLintError, match="8x8 -> 16x16"):
        check_export(graph_of(adaptive_spec(16), "3x8x8"))


def test_pyramid_pooling_inside_a_block_names_the_inner_nodes_at_the_user_node():
    graph = graph_of(SPECS / "pspnet.yaml", "3x201x201")
    with pytest.raises(ExportLintError) as info:
        check_export(graph)
    issues = info.value.issues
    assert [i.node for i in issues] == ["ppm.pool2", "ppm.pool3"]
    assert all(i.group == "ppm" and i.block == "ppm" and i.op == "ppm_pool" for i in issues)
    assert all(Path(i.loc.file).name == "pspnet.yaml" and i.loc.path == ("nodes", "ppm") for i in issues)
    assert "26x26 -> 3x3" in issues[0].message
    hint = info.value.hint
    assert hint.startswith("try --input 3x")
    suggested = hint.split()[2].rstrip(",")
    assert lint_export(graph_of(SPECS / "pspnet.yaml", suggested)) == []
    # the graph is left inferred at the size it was linted for
    assert graph.input_meta["image"]["shapes"]["out"].spatial == (201, 201)


def test_suggest_input_returns_none_when_nothing_fails():
    assert suggest_input(graph_of(adaptive_spec(4), "3x16x16")) is None


def test_same_padding_with_dilation_is_an_error():
    spec = """segkit: 1
name: dil
inputs:
  image: 3
nodes:
  a: {block: conv, from: image, out: 4, padding: same, dilation: 2}
  b: {block: conv, out: 4, padding: auto, dilation: 2}
  c: {block: conv, out: 4, kernel: 4, padding: same}
outputs:
  out: c
"""
    issues = lint_export(graph_of(spec, "3x16x16"))
    assert [(i.node, i.kind) for i in issues] == [("a", "same_dilation")]
    assert "onnxruntime" in issues[0].message and "padding: auto" in issues[0].hint


def test_resize_below_opset_11():
    spec = """segkit: 1
name: rs
inputs:
  image: 3
nodes:
  a: {block: resize, from: image, scale: 2, align_corners: true}
  b: {block: resize, scale: 1.5}
  c: {block: resize, scale: 2, mode: nearest}
  d: {block: resize, scale: 2}
outputs:
  out: d
"""
    graph = graph_of(spec, "3x8x8")
    assert [i.node for i in lint_export(graph, opset=9)] == ["a", "b"]
    assert lint_export(graph, opset=11) == []
    assert lint_export(graph, "torchscript", opset=9) == []


def test_plugin_blocks_are_warned_about_once_or_checked_by_their_own_rule():
    graph = graph_of(*EXAMPLES["fcn8s_tiny"][:2], **EXAMPLES["fcn8s_tiny"][2])
    base = type(graph.nodes["score32"].block)
    foreign = type("Foreign", (base,), {"__module__": "some_plugin.blocks"})()
    for node_id in ("score32", "score16"):
        graph.nodes[node_id].block = foreign
    issues = lint_export(graph)
    assert [(i.node, i.severity, i.kind) for i in issues] == [("score32", "warning", "plugin")]
    assert check_export(graph) == issues  # warnings do not refuse

    def onnx_export_issues(self, params, x, opset):
        return [f"cannot export {x} at opset {opset}"]

    checked = type("Checked", (base,), {"__module__": "some_plugin.blocks", "onnx_export_issues": onnx_export_issues})()
    graph.nodes["score16"].block = checked
    with pytest.raises(ExportLintError, match="node 'score16'.*cannot export"):
        check_export(graph)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SPECS)))
def test_lint_passes_on_shipped_specs_that_export(path):
    assert [i for i in lint_export(graph_of(path)) if i.severity == "error"] == []


@pytest.mark.parametrize("name", NOT_AT_THEIR_EXAMPLE_SIZE)
def test_pyramid_pooling_at_the_example_size_does_not_export_and_the_hint_does(name):
    graph = graph_of(SPECS / name)
    with pytest.raises(ExportLintError) as info:
        check_export(graph)
    assert {i.kind for i in info.value.issues} == {"adaptive_pool"}
    size = info.value.hint.split()[2].rstrip(",")
    assert lint_export(graph_of(SPECS / name, size)) == []


def test_lint_never_imports_torch():
    code = (
        "import sys\n"
        "from segkit.api import resolve\n"
        "from segkit.export import ExportLintError, check_export\n"
        "g = resolve('specs/pspnet.yaml', '3x201x201', train_heads=False)\n"
        "try:\n    check_export(g)\nexcept ExportLintError as e:\n    assert e.issues\n"
        "assert 'torch' not in sys.modules, 'the export lint imported torch'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)

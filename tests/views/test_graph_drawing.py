"""`segkit graph`: DOT / Mermaid text with shapes on the edges; rendering via Graphviz,
whose absence or failure is a user error."""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

import segkit
from segkit.cli import main
from segkit.views.graph_drawing import edges, to_dot, to_mermaid


@pytest.fixture(scope="module")
def unet():
    return segkit.check("examples/unet_valid_tiny").graph


def test_collapsed_edges_carry_shapes(unet):
    found = {(e.src, e.dst, e.label) for e in edges(unet, expand=False)}
    assert ("enc2", "skip2", "32x88x88") in found and ("up2", "cat2", "32x80x80") in found
    assert ("classifier", "output:out", "2x148x148") in found


def test_expanded_dot_has_clusters_of_primitive_nodes(unet):
    dot = to_dot(unet, expand=True)
    assert "subgraph cluster_" in dot and '"enc1.0.conv"' in dot and "(conv_bn_act)" in dot
    assert to_dot(unet).count("subgraph") == 0


def test_mermaid(unet):
    text = to_mermaid(unet)
    assert text.startswith("flowchart TB") and '-- "32x80x80" -->' in text


def test_cli_writes_dot_and_mmd(tmp_path):
    for name in ("g.dot", "g.mmd"):
        result = CliRunner().invoke(main, ["graph", "examples/segnet_tiny", "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert "unpool" in (tmp_path / name).read_text()


def test_svg_without_graphviz_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = CliRunner().invoke(main, ["graph", "examples/segnet_tiny", "-o", str(tmp_path / "g.svg")])
    assert result.exit_code == 2 and "Graphviz" in result.stderr and "g.dot" in result.stderr


def test_a_failing_dot_is_a_user_error_with_its_message(tmp_path, monkeypatch, failing_dot):
    monkeypatch.setattr(shutil, "which", lambda name: failing_dot)
    result = CliRunner().invoke(main, ["graph", "examples/segnet_tiny", "-o", str(tmp_path / "g.svg")])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "g.svg: error: Graphviz's dot failed: Error: <stdin>: syntax error in line 1" in result.stderr
    assert not (tmp_path / "g.svg").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_svg_with_graphviz(tmp_path):
    result = CliRunner().invoke(main, ["graph", "examples/segnet_tiny", "-o", str(tmp_path / "g.svg")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "g.svg").read_text().lstrip().startswith(("<?xml", "<svg"))


def test_unknown_format_is_a_user_error(tmp_path):
    result = CliRunner().invoke(main, ["graph", "examples/segnet_tiny", "-o", str(tmp_path / "g.pdf")])
    assert result.exit_code == 2 and "unknown graph format .pdf" in result.stderr

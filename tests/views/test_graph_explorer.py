"""`segkit graph` beyond pictures: the interactive page's data (every level of nesting,
each box with its report row), the page itself (one file, no network), DOT or Mermaid on
stdout without -o, and the warning for a PNG past Graphviz's size limit."""
from __future__ import annotations

import json
import re
import shutil
import struct

import pytest
from click.testing import CliRunner

import segkit
from segkit.cli import main
from segkit.views.graph_explorer import explorer_data, to_html


@pytest.fixture(scope="module")
def report():
    return segkit.check("unet_small")


def test_boxes_nest_by_id_and_carry_their_report_rows(report):
    data = explorer_data(report)
    boxes = data["boxes"]
    assert boxes["enc1"] == {"parent": None, "composite": True, "block": "conv_bn_act", "shape": "16x128x128",
                             "stride": "1", "rf": "5", "params": f"{report['enc1'].params:,}",
                             "macs": boxes["enc1"]["macs"]}
    assert boxes["enc1.0"]["parent"] == "enc1" and boxes["enc1.0"]["composite"]
    assert boxes["enc1.0.conv"]["parent"] == "enc1.0" and not boxes["enc1.0.conv"]["composite"]
    assert boxes["enc1.0"]["shape"] == "16x128x128" and boxes["enc1.0"]["rf"] == "3"  # what leaves enc1.0
    assert data["nodes"]["enc1.0.conv"] == ["image"] and data["inputs"] == {"image": "3x128x128"}
    assert data["outputs"]["out"]["shape"] == "5x128x128"


def test_the_page_is_one_file_that_requests_nothing(report):
    page = to_html(report)
    assert page.startswith("<!DOCTYPE html>") and "default-src 'none'" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    data = json.loads(re.search(r'<script id="graph-data" type="application/json">(.*?)</script>', page, re.S)[1])
    assert data["name"] == report.graph.name and not data["expand"]


def test_without_output_the_graph_goes_to_stdout():
    runner = CliRunner()
    dot = runner.invoke(main, ["graph", "examples/segnet_tiny"])
    assert dot.exit_code == 0 and dot.stdout.startswith("digraph ") and "wrote" not in dot.stdout
    mermaid = runner.invoke(main, ["graph", "examples/segnet_tiny", "--format", "mermaid"])
    assert mermaid.exit_code == 0 and mermaid.stdout.startswith("flowchart TB")


def test_format_with_an_output_file_is_a_user_error(tmp_path):
    result = CliRunner().invoke(main, ["graph", "examples/segnet_tiny", "--format", "dot", "-o", str(tmp_path / "g.mmd")])
    assert result.exit_code == 2 and result.stderr.startswith("--format: error:")


def test_html_output_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = CliRunner().invoke(main, ["graph", "examples/segnet_tiny", "-o", str(tmp_path / "g.html"), "--expand"])
    assert result.exit_code == 0, result.output
    assert '"expand":true' in (tmp_path / "g.html").read_text()


def test_a_png_past_the_limit_is_written_with_a_warning(tmp_path, monkeypatch):
    fake = tmp_path / "dot"  # a dot whose PNG is as tall as Graphviz allows
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 962, 32767) + b"\x08\x02\x00\x00\x00"
    (tmp_path / "tall.png").write_bytes(png)
    fake.write_text(f"#!/bin/sh\ncat >/dev/null\ncat '{tmp_path / 'tall.png'}'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name: str(fake))
    result = CliRunner().invoke(main, ["graph", "examples/segnet_tiny", "-o", str(tmp_path / "g.png")])
    assert result.exit_code == 0, result.output
    assert "larger than Graphviz's PNG limit" in result.stderr and "962x32767" in result.stderr
    assert "hint: write g.svg or g.html" in result.stderr

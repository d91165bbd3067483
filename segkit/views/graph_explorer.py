"""``segkit graph -o x.html``: the graph as one self-contained, interactive page.

The page holds the graph as JSON and a small hand-written script (``explorer.js``, no
library, nothing loaded from the network) that lays it out in layers and draws it as SVG.
Composite blocks start collapsed, as in ``segkit graph``'s pictures; each expands into
its parts level by level (node ids nest by their dots: ``enc`` > ``enc.layer1`` >
``enc.layer1.0`` > ``enc.layer1.0.conv1``). Every box carries its report row: output
shape, stride, receptive field, params and MACs, as ``segkit check`` prints them.
"""
from __future__ import annotations

import html
import json
from importlib import resources

from segkit.analysis.report import Report, Row
from segkit.core.graph import Graph, Value
from segkit.views.tables import outputs_text, row_cells

ASSETS = ("explorer.css", "explorer.js")


def _prefixes(node_id: str) -> list[str]:
    parts = node_id.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts) + 1)]


def _inner_row(graph: Graph, box: str, members: list[str]) -> Row:
    """The report row of a nested part (``enc.layer1``): the values it hands to nodes
    outside it, and the sums of its nodes' params and MACs."""
    inside = set(members)
    leaving: dict[str, Value] = {}
    consumers = [(n.id, v) for n in graph.nodes.values() for v in n.inputs]
    consumers += [("output:" + k, v) for k, v in graph.outputs.items()]
    for consumer, value in consumers:
        if value.node in inside and consumer not in inside:
            leaving.setdefault(f"{value.node[len(box) + 1:]}.{value.output}", value)
    if len(leaving) == 1:
        leaving = {"out": next(iter(leaving.values()))}
    shapes = {name: graph.shape(v) for name, v in leaving.items()}
    grids = [graph.meta(v)["grids"][v.output] for v in leaving.values()]
    nodes = [graph.nodes[m] for m in members]
    params = sum(n.meta["inference"].params for n in nodes)
    macs = sum(n.meta["inference"].macs for n in nodes)
    return Row(box, f"{len(members)} nodes", shapes, grids, params, macs)


def _facts(row: Row) -> dict:
    _, block, shape, stride, rf, params, macs = row_cells(row)
    return {"block": block, "shape": shape, "stride": stride, "rf": rf, "params": params, "macs": macs}


def explorer_data(report: Report, expand: bool = False) -> dict:
    """The page's JSON: every box of every level (parent, facts), the primitive nodes'
    inputs, the graph inputs and outputs, and whether the page opens with every composite
    block expanded."""
    graph = report.graph
    members: dict[str, list[str]] = {}
    for node_id in graph.nodes:
        for prefix in _prefixes(node_id)[:-1]:
            members.setdefault(prefix, []).append(node_id)
    rows = {row.id: row for row in report.rows + report.nodes}
    boxes = {}
    for node_id in graph.nodes:
        parent = None
        for prefix in _prefixes(node_id):
            if prefix not in boxes:
                row = rows.get(prefix) or _inner_row(graph, prefix, members[prefix])
                boxes[prefix] = {"parent": parent, "composite": prefix != node_id, **_facts(row)}
            parent = prefix
    nodes = {n.id: [v.node for v in n.inputs] for n in graph.nodes.values()}
    inputs = {name: str(shape) for name, shape in report.input_shapes.items()}
    outputs = {name: {"from": v.node, "shape": str(graph.shape(v)), "train": name in graph.train_outputs}
               for name, v in graph.outputs.items()}
    summary = (f"{report.params:,} params, {report.macs / 1e9:.2f} GMACs; outputs: {outputs_text(report)}; "
               f"accepted input sizes: {report.describe_sizes()}")
    return {"name": graph.name, "summary": summary, "boxes": boxes, "nodes": nodes, "inputs": inputs,
            "outputs": outputs, "expand": expand}


def _asset(name: str) -> str:
    return resources.files("segkit.views").joinpath(name).read_text(encoding="utf-8")


def to_html(report: Report, expand: bool = False) -> str:
    """The interactive page of ``report``'s graph: one file, no network access; ``expand``
    opens it with every composite block expanded."""
    data = json.dumps(explorer_data(report, expand), separators=(",", ":")).replace("</", "<\\/")
    title = html.escape(f"{report.graph.name}: segkit graph")
    css, js = (_asset(name) for name in ASSETS)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{title}</title>
<style>
{css}</style>
</head>
<body>
<header>
  <h1>{html.escape(report.graph.name)}</h1>
  <div class="tools">
    <button type="button" data-act="expand-all">expand all</button>
    <button type="button" data-act="collapse-all">collapse all</button>
    <button type="button" data-act="zoom-in" aria-label="zoom in">+</button>
    <button type="button" data-act="zoom-out" aria-label="zoom out">&minus;</button>
    <button type="button" data-act="fit">fit</button>
  </div>
</header>
<main>
  <svg id="graph" role="img" aria-label="graph of {html.escape(report.graph.name)}"></svg>
  <aside id="info" aria-live="polite"></aside>
</main>
<script id="graph-data" type="application/json">{data}</script>
<script>
{js}</script>
</body>
</html>
"""

"""``segkit graph``: the spec as a picture: DOT (Graphviz) or Mermaid text, with node
ids, blocks, and output shapes on the edges; composite blocks collapsed to their spec
node, or expanded into clusters of their primitive nodes. (The interactive HTML page is
:mod:`segkit.views.graph_explorer`.)"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass

from segkit.core.graph import Graph, Value
from segkit.errors import InputError, SourceLoc


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    label: str


def _owner(graph: Graph, value: Value, expand: bool) -> str:
    node = graph.nodes.get(value.node)
    if node is None:
        return value.node  # a graph input
    return node.id if expand else node.group


def edges(graph: Graph, expand: bool) -> list[Edge]:
    """Producer -> consumer edges labelled with the shape that flows."""
    found: dict[Edge, None] = {}
    for node in graph.nodes.values():
        dst = node.id if expand else node.group
        for value in node.inputs:
            src = _owner(graph, value, expand)
            if src != dst:
                found[Edge(src, dst, str(graph.shape(value)))] = None
    for name, value in graph.outputs.items():
        found[Edge(_owner(graph, value, expand), f"output:{name}", str(graph.shape(value)))] = None
    return list(found)


def boxes(graph: Graph, expand: bool) -> dict[str, str]:
    """Box id -> label ("id\\nblock")."""
    out = {name: f"{name}\\ninput" for name in graph.inputs}
    if expand:
        out.update({n.id: f"{n.id}\\n{n.op}" for n in graph.nodes.values()})
    else:
        live = {n.group for n in graph.nodes.values()}
        out.update({gid: f"{gid}\\n{g.block}" for gid, g in graph.groups.items() if gid in live})
    out.update({f"output:{name}": f"{name}\\noutput" for name in graph.outputs})
    return out


FONT = "Helvetica"
"""The one font of a drawing: boxes, edge labels and cluster titles alike."""

PNG_LIMIT = 32767
"""The most pixels per side of a PNG from Graphviz's cairo renderer, which scales a
larger drawing down until it fits (so a tall graph gets unreadably small labels)."""


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of PNG ``data`` (from its IHDR chunk)."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def to_dot(graph: Graph, expand: bool = False) -> str:
    def q(text: str) -> str:
        return '"' + text.replace('"', '\\"') + '"'

    lines = [f"digraph {q(graph.name)} {{", "  rankdir=TB;", f"  graph [fontname={q(FONT)}];",
             f"  node [shape=box, fontname={q(FONT)}];", f"  edge [fontname={q(FONT)}, fontsize=10];"]
    labels = boxes(graph, expand)
    if expand:
        groups: dict[str, list[str]] = {}
        for node in graph.nodes.values():
            groups.setdefault(node.group, []).append(node.id)
        for k, (group, ids) in enumerate(groups.items()):
            info = graph.groups.get(group)
            lines.append(f"  subgraph cluster_{k} {{ label={q(f'{group} ({info.block})' if info else group)};")
            lines.extend(f"    {q(i)} [label={q(labels[i])}];" for i in ids)
            lines.append("  }")
        rest = [b for b in labels if b not in graph.nodes]
    else:
        rest = list(labels)
    for box in rest:
        shape = ", shape=ellipse" if box in graph.inputs or box.startswith("output:") else ""
        lines.append(f"  {q(box)} [label={q(labels[box])}{shape}];")
    lines.extend(f"  {q(e.src)} -> {q(e.dst)} [label={q(e.label)}];" for e in edges(graph, expand))
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(graph: Graph, expand: bool = False) -> str:
    ids = {box: f"n{k}" for k, box in enumerate(boxes(graph, expand))}
    lines = ["flowchart TB"]
    for box, label in boxes(graph, expand).items():
        text = label.replace("\\n", "<br/>").replace('"', "'")
        lines.append(f'  {ids[box]}["{text}"]')
    lines.extend(f'  {ids[e.src]} -- "{e.label}" --> {ids[e.dst]}' for e in edges(graph, expand))
    return "\n".join(lines) + "\n"


def run_dot(dot: str, fmt: str, source: str, loc: SourceLoc) -> bytes:
    """Graphviz's ``dot`` (the executable at ``dot``) rendering DOT ``source`` as ``fmt``
    (svg, png). A failing dot is a user error at ``loc`` with dot's own message (a broken
    installation, a missing plugin for the format), not a traceback."""
    done = subprocess.run([dot, f"-T{fmt}"], input=source.encode(), capture_output=True)
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
        raise InputError(f"Graphviz's dot failed: {message}", loc,
                         "check the Graphviz installation (`dot -V`, `dot -Tsvg`), or write .dot or .mmd text")
    return done.stdout

"""The export lint for ``--dynamic``: which nodes of an inferred graph keep an ONNX file
from being valid at every accepted size, found from the static graph alone (no torch).

torch's TorchScript-based ONNX exporter traces one input size; the ops below take a
number from that size and write it into the file as a constant, so the file runs wrong
(or fails) at other sizes even though their shape rule is symbolic:

- adaptive pooling to more than one bin (``adaptive_avgpool``, ``adaptive_maxpool``,
  ``ppm_pool``): written as AveragePool / MaxPool whose kernel and stride are the
  example's feature map divided by the bins; global pooling (every bin count 1) is
  written as GlobalAveragePool / GlobalMaxPool and stays valid;
- max-unpooling (``unpool``): the size of the scattered map is the example's.

torch.export keeps these ops symbolic, so an ExportedProgram has no static findings;
what torch.export specialises anyway is found by running the file at several sizes.
"""
from __future__ import annotations

from segkit.core.graph import Graph
from segkit.export.lint import ADAPTIVE_OPS, ExportIssue, ExportLintError

STATIC_FIX = ("export without --dynamic (a file for one size), or to an ExportedProgram "
              "(--format exported-program), which keeps this op symbolic")


def lint_dynamic(graph: Graph, fmt: str = "onnx") -> list[ExportIssue]:
    """Errors for exporting the inferred ``graph`` to ``fmt`` for every accepted size."""
    if fmt != "onnx":
        return []
    issues = []
    for node in graph.nodes.values():
        found = None
        if node.op in ADAPTIVE_OPS:
            bins = node.meta["shapes"]["out"].spatial
            if any(b != 1 for b in bins):
                why = (f"adaptive pooling to {'x'.join(map(str, bins))} bins is written to ONNX with a kernel "
                       "and stride computed from the example's feature map, so the file pools the wrong "
                       "windows at other input sizes")
                found = (why, f"{STATIC_FIX}; global pooling (bins 1) exports dynamically")
        elif node.op == "unpool":
            why = ("max-unpooling is written to ONNX with the example's map size as a constant, so the file "
                   "fails at other input sizes")
            found = (why, STATIC_FIX)
        if found:
            group = graph.groups.get(node.group)
            issues.append(ExportIssue("error", node.id, node.op, node.group, group.block if group else node.op,
                                      found[0], group.loc if group else node.loc, found[1], "dynamic"))
    return issues


def check_dynamic(graph: Graph, fmt: str = "onnx") -> None:
    """Raise ExportLintError naming every node that keeps ``graph`` from a dynamic
    ``fmt`` export."""
    issues = lint_dynamic(graph, fmt)
    if issues:
        raise ExportLintError(issues, f"{fmt} for every input size")

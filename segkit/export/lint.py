"""The export lint: which nodes of an inferred graph will not export, found from the
static graph alone (no torch), before any exporter runs.

Each finding names the node id, its op, the spec node (block) it belongs to and the
YAML location of that node. Rules are per primitive op, for the ONNX exporter (torch's
TorchScript-based ``torch.onnx.export``) and onnxruntime, found by exporting every op
of segkit and every shipped spec and running the result in onnxruntime:

- adaptive average / max pooling (``adaptive_avgpool``, ``adaptive_maxpool``,
  ``ppm_pool``) whose output size does not divide the input size: ONNX has no adaptive
  pooling, and the exporter only writes AveragePool / MaxPool with kernel = stride =
  input / output, so it refuses the rest (PSPNet's 1/2/3/6 bins need a stride-8
  feature map that is a multiple of 6);
- ``conv`` / ``sepconv`` with ``padding: same`` and a dilation > 1: exported as
  ``auto_pad=SAME_UPPER`` with dilations, which onnxruntime refuses to run;
- below opset 11, ``resize`` with align_corners, bicubic, or a non-integer scale:
  refused by the exporter, or (bilinear with a fractional scale) silently wrong.

Blocks from plugins may declare their own findings with a method
``onnx_export_issues(params, *in_shapes, opset) -> list[str]`` (each string an error);
a plugin's Python block without it is reported once as a warning (not checked).
torch.export and torch.jit.trace take every shipped op, so they have no rules here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from segkit.analysis.infer import infer
from segkit.core.graph import Graph, Node
from segkit.errors import SegkitError, SourceLoc

FORMATS = ("onnx", "torchscript", "exported-program")
DEFAULT_OPSET = 17
MIN_OPSET = 9
MAX_OPSET = 20
"""The opsets of torch's TorchScript-based ONNX exporter that segkit accepts."""

ADAPTIVE_OPS = {"adaptive_avgpool": "avg", "adaptive_maxpool": "max", "ppm_pool": None}


@dataclass(frozen=True)
class ExportIssue:
    """One finding: ``severity`` is "error" (will not export, or exports wrongly) or
    "warning" (not checked)."""

    severity: str
    node: str
    op: str
    group: str
    block: str
    message: str
    loc: SourceLoc
    hint: str | None = None
    kind: str = ""
    """The rule that found it ("adaptive_pool", "same_dilation", "resize_opset", "plugin")."""

    def format(self) -> str:
        where = self.op if self.group == self.node else f"{self.op} in {self.group!r}, block {self.block}"
        text = f"{self.loc}: {self.severity}: node {self.node!r} ({where}): {self.message}"
        if self.loc.path:
            text += f"\n  in: {self.loc.breadcrumb()}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ExportLintError(SegkitError):
    """Nodes that will not export; ``issues`` holds every error found, each located."""

    def __init__(self, issues: list[ExportIssue], fmt: str, hint: str | None = None):
        first = issues[0]
        super().__init__(first.message, first.loc, hint)
        self.issues = issues
        self.fmt = fmt

    def format(self) -> str:
        text = "\n".join(issue.format() for issue in self.issues)
        count = len(self.issues)
        text += f"\n{self.loc.file}: error: {count} node{'s' if count > 1 else ''} will not export to {self.fmt}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


def lint_export(graph: Graph, fmt: str = "onnx", opset: int = DEFAULT_OPSET) -> list[ExportIssue]:
    """Findings for exporting the inferred ``graph`` to ``fmt``; torch-free."""
    if fmt != "onnx":
        return []
    issues: list[ExportIssue] = []
    unchecked: set[str] = set()
    for node in graph.nodes.values():
        shapes = [graph.shape(v) for v in node.inputs]
        found: list[tuple[str, str, str | None, str]] = []
        if hasattr(node.block, "onnx_export_issues"):
            found += [("error", msg, None, "plugin") for msg in node.block.onnx_export_issues(node.params, *shapes,
                                                                                               opset=opset)]
        elif not _builtin(node):
            if node.op not in unchecked:
                unchecked.add(node.op)
                found.append(("warning", f"block {node.op!r} ({type(node.block).__module__}) is not known to the "
                              "ONNX lint; its export is not checked", "the export is still verified in onnxruntime",
                              "plugin"))
        elif node.op in ADAPTIVE_OPS:
            found += _adaptive(node, shapes)
        elif node.op in ("conv", "sepconv"):
            found += _same_dilation(node)
        elif node.op == "resize" and opset < 11:
            found += _resize_opset(node, shapes, opset)
        for severity, message, hint, kind in found:
            group = graph.groups.get(node.group)
            issues.append(ExportIssue(severity, node.id, node.op, node.group, group.block if group else node.op,
                                      message, group.loc if group else node.loc, hint, kind))
    return issues


def check_export(graph: Graph, fmt: str = "onnx", opset: int = DEFAULT_OPSET) -> list[ExportIssue]:
    """Raise ExportLintError naming every node that will not export; return the warnings.
    For unexportable adaptive pooling the error's hint proposes the nearest input size
    that exports."""
    issues = lint_export(graph, fmt, opset)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        hint = None
        if any(i.kind == "adaptive_pool" for i in errors):
            hint = suggest_input(graph, fmt, opset) or ("the feature map of each adaptive pooling must be a "
                                                        "multiple of its output size; change --input or the bins")
        raise ExportLintError(errors, fmt, hint)
    return issues


# ------------------------------------------------------------------------------- rules


def _adaptive(node: Node, shapes):
    x, out = shapes[0], node.meta["shapes"]["out"]
    bad = [(i, o) for i, o in zip(x.spatial, out.spatial) if i % o]
    if not bad:
        return []
    kind = ADAPTIVE_OPS[node.op] or node.params.pooling
    feature, bins = "x".join(map(str, x.spatial)), "x".join(map(str, out.spatial))
    detail = ", ".join(dict.fromkeys(f"{i} is not a multiple of {o}" for i, o in bad))
    onnx_op = "AveragePool" if kind == "avg" else "MaxPool"
    return [("error", f"adaptive {kind} pooling {feature} -> {bins} is not expressible as ONNX {onnx_op} "
             f"({detail})", None, "adaptive_pool")]


def _same_dilation(node: Node):
    p = node.params
    dilation = p.dilation if isinstance(p.dilation, (list, tuple)) else [p.dilation]
    if p.padding != "same" or all(d == 1 for d in dilation):
        return []
    return [("error", f"padding 'same' with dilation {p.dilation} exports as Conv auto_pad=SAME_UPPER with "
             "dilations, which onnxruntime refuses to run",
             "use padding: auto (the same size for odd kernels) or an explicit padding", "same_dilation")]


def _resize_opset(node: Node, shapes, opset: int):
    p, x = node.params, shapes[0]
    out = node.meta["shapes"]["out"]
    mode = p.mode if p.mode != "auto" else ("linear", "bilinear", "trilinear")[x.rank - 1]
    reasons = []
    if p.align_corners and mode != "nearest":
        reasons.append("align_corners")
    if mode == "bicubic":
        reasons.append("bicubic mode")
    if mode != "nearest" and any(Fraction(o, i).denominator != 1 for i, o in zip(x.spatial, out.spatial)):
        reasons.append(f"a non-integer scale ({x} -> {out})")
    if not reasons:
        return []
    return [("error", f"resize with {' and '.join(reasons)} has no correct ONNX form below opset 11 "
             f"(opset {opset})", "use --opset 11 or later (default 17)", "resize_opset")]


# ----------------------------------------------------------------------------- helpers


def _builtin(node: Node) -> bool:
    return type(node.block).__module__.split(".")[0] == "segkit"


def _adaptive_errors(graph: Graph, fmt: str, opset: int) -> list[ExportIssue]:
    return [i for i in lint_export(graph, fmt, opset) if i.severity == "error" and i.kind == "adaptive_pool"]


def suggest_input(graph: Graph, fmt: str = "onnx", opset: int = DEFAULT_OPSET, tries: int = 6) -> str | None:
    """The nearest input size (same for every input, changed per spatial dim by whole
    output strides of the offending nodes) where no adaptive pooling fails, as
    "try --input CxHxW"; None if none is found in a few verified tries. The graph is
    left inferred at its current input sizes."""
    reference = graph.input_shapes
    if not reference:
        return None
    first = next(iter(reference.values()))
    failing = [graph.nodes[i.node] for i in _adaptive_errors(graph, fmt, opset)]
    if not failing:
        return None
    per_dim = []
    for d in range(first.rank):
        step, needs = 1, []
        for node in failing:
            jump = _jump(graph, node.inputs[0], d)
            if jump is None:
                return None
            step = math.lcm(step, jump)
            size = graph.shape(node.inputs[0]).spatial[d]
            bins = node.meta["shapes"]["out"].spatial[d]
            needs.append((jump, size, bins))
        horizon = math.lcm(*(b for _, _, b in needs)) if needs else 1
        found = []
        for k in range(-2 * horizon, 2 * horizon + 1):
            s = first.spatial[d] + k * step
            if s >= 1 and all((size + k * step // jump) % bins == 0 for jump, size, bins in needs):
                found.append(s)
        found.sort(key=lambda s: (abs(s - first.spatial[d]), s))
        if not found:
            return None
        per_dim.append(found)
    try:
        for attempt in range(tries):
            spatial = tuple(c[min(attempt, len(c) - 1)] for c in per_dim)
            shapes = {name: s.with_spatial(spatial) for name, s in reference.items()}
            try:
                infer(graph, shapes, grids=False)
            except SegkitError:
                continue
            if not _adaptive_errors(graph, fmt, opset) and not any(
                    i.severity == "error" for i in lint_export(graph, fmt, opset)):
                size = "x".join(map(str, (first.channels, *spatial)))
                return f"try --input {size}, the nearest size where every adaptive pooling divides"
        return None
    finally:
        infer(graph, reference)


def _jump(graph: Graph, value, dim: int) -> int | None:
    grid = graph.meta(value).get("grids", {}).get(value.output)
    if grid is None or dim >= len(grid.jump):
        return None
    jump = Fraction(grid.jump[dim])
    return int(jump) if jump.denominator == 1 and jump >= 1 else None

"""The per-node report of ``check``/``build``: shapes, stride, receptive field, params,
MACs, totals and accepted input sizes, with composite blocks collapsed or expanded."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction

from segkit.analysis.accepted import accepted_sizes
from segkit.analysis.infer import Grid
from segkit.analysis.size_rule import SizeRule, describe
from segkit.core.graph import Graph
from segkit.core.shape import Shape


@dataclass
class Row:
    """One line of the report: a top-level node (collapsed) or a primitive node."""

    id: str
    block: str
    shapes: dict[str, Shape]
    grids: list[Grid | None]
    params: int
    macs: int
    depth: int = 0

    @property
    def shape(self) -> str:
        if len(self.shapes) == 1:
            return str(next(iter(self.shapes.values())))
        return ", ".join(f"{k}: {v}" for k, v in self.shapes.items())

    @property
    def grid(self) -> Grid | None:
        """The grid of the first (default) output."""
        return self.grids[0] if self.grids else None

    @property
    def stride(self) -> str:
        """Output stride per output (``4, 8, 16, 32`` for a backbone's c2..c5)."""
        return _per_output([_dims(g.jump) if g else "-" for g in self.grids])

    @property
    def receptive_field(self) -> str:
        """Receptive field per output: sizes, ``global``, or ``?`` where a block on the
        way declares no geometry."""
        return _per_output(["-" if g is None else "?" if not g.known else "global" if g.rf is None else _dims(g.rf)
                            for g in self.grids])


def _per_output(texts: list[str]) -> str:
    return texts[0] if len(set(texts)) == 1 else ", ".join(texts)


def _dims(values) -> str:
    values = list(values)
    if not values:
        return "-"
    text = [str(v) if not isinstance(v, Fraction) or v.denominator != 1 else str(v.numerator) for v in values]
    return text[0] if len(set(text)) == 1 else "x".join(text)


@dataclass
class Report:
    """What ``segkit.check`` returns. ``rows`` collapse composite blocks to their
    top-level node; ``nodes`` lists every primitive node."""

    graph: Graph
    input_shapes: dict[str, Shape]
    rows: list[Row] = field(default_factory=list)
    nodes: list[Row] = field(default_factory=list)

    @property
    def params(self) -> int:
        return sum(r.params for r in self.nodes)

    @property
    def macs(self) -> int:
        return sum(r.macs for r in self.nodes)

    @property
    def outputs(self) -> dict[str, Shape]:
        return {name: self.graph.shape(v) for name, v in self.graph.outputs.items()}

    @property
    def warnings(self):
        """The graph's warnings; reading ``accepted_sizes`` may add one (a block whose
        size rule fails, see ``segkit.analysis.derive``)."""
        return self.graph.warnings

    @functools.cached_property
    def accepted_sizes(self) -> list[SizeRule]:
        return accepted_sizes(self.graph, self.input_shapes)

    def describe_sizes(self) -> str:
        return describe(self.accepted_sizes)

    def __getitem__(self, node_id: str) -> Row:
        for row in self.rows + self.nodes:
            if row.id == node_id:
                return row
        raise KeyError(node_id)




def make_report(graph: Graph, input_shapes: dict[str, Shape]) -> Report:
    report = Report(graph, input_shapes)
    totals: dict[str, list[int]] = {}
    for node in graph.nodes.values():
        inference = node.meta["inference"]
        report.nodes.append(Row(node.id, node.op, node.meta["shapes"], list(node.meta["grids"].values()),
                                inference.params, inference.macs, depth=node.id.count(".")))
        acc = totals.setdefault(node.group, [0, 0])
        acc[0] += inference.params
        acc[1] += inference.macs
    for group_id, group in graph.groups.items():
        if group_id not in totals:
            continue
        live = {name: v for name, v in group.outputs.items() if v.node in graph.nodes or v.node in graph.input_meta}
        shapes = {name: graph.shape(v) for name, v in live.items()}
        grids = [graph.meta(v)["grids"][v.output] for v in live.values()]
        params, macs = totals[group_id]
        report.rows.append(Row(group_id, group.block, shapes, grids, params, macs))
    return report

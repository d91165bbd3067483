"""``accepted_sizes``: which input sizes a graph accepts, per spatial dim, reasoned from
the blocks' shape rules and never from torch.

The set is derived exactly (``derive``) where every block has a symbolic size rule;
sizes below the derivation's ``start`` (where a piecewise rule settles) are checked
one by one with the inference pass. Otherwise the sizes are scanned (``scan``) and the
rule is marked with the size it was checked up to.
"""
from __future__ import annotations

from dataclasses import replace

from segkit.analysis.derive import derive
from segkit.analysis.infer import infer
from segkit.analysis.scan import MAX_SCAN, at_size, graph_period, scan, valid
from segkit.analysis.size_rule import AcceptedSizes, SizeRule, rule_of
from segkit.core.graph import Graph
from segkit.core.shape import Shape
from segkit.core.size_algebra.sets import SizeSet


def isotropic(graph: Graph, reference: dict[str, Shape]) -> bool:
    """True when every spatial dim behaves alike (square inputs, square strides and
    receptive fields everywhere), so one analysis of square sizes serves all dims."""
    if any(len(set(s.spatial)) > 1 for s in reference.values()):
        return False
    for node in graph.nodes.values():
        for shape in node.meta["shapes"].values():
            if len(set(shape.spatial)) > 1:
                return False
        for grid in node.meta["grids"].values():
            if grid is not None and (len(set(grid.jump)) > 1 or (grid.rf and len(set(grid.rf)) > 1)):
                return False
    return True


def accepted_sizes(graph: Graph, reference: dict[str, Shape]) -> AcceptedSizes:
    """One SizeRule per spatial dim of the inputs (which share their spatial sizes), and
    the coupled clauses between dims.

    The dims are analysed together when the graph is isotropic, else one at a time with
    the others at the reference; rules are assumed separable (an output dim depends on
    the same input dim only), so a coupled clause takes its condition on dim ``d`` from
    the analysis of ``d``. ``graph`` is re-inferred while checking sizes; it is left
    inferred at ``reference``. A graph whose inputs are at ``reference`` is taken as
    inferred there (the resolver leaves it so, and every pass that tries other sizes,
    this one and the export lint, re-infers at its reference when done), and is
    re-inferred only if sizes were tried: each pass costs as much as the resolver's.
    """
    rank = min(s.rank for s in reference.values()) if reference else 0
    if rank == 0:
        return AcceptedSizes()
    if graph.input_shapes != reference:
        infer(graph, reference)
    tried = []
    try:
        if isotropic(graph, reference):
            rule, clauses, exact = rule_for(graph, reference, tuple(range(rank)), tried)
            if exact:
                return AcceptedSizes([rule] * rank, _clauses([clauses] * rank))
        found = [rule_for(graph, reference, (dim,), tried) for dim in range(rank)]
        return AcceptedSizes([rule for rule, _, _ in found], _clauses([clauses for _, clauses, _ in found]))
    finally:
        if tried or graph.input_shapes != reference:
            infer(graph, reference)


def rule_for(graph: Graph, reference: dict[str, Shape], dims: tuple[int, ...], tried: list | None = None):
    """(rule, clauses, exact) for input sizes ``s`` given to the spatial dims ``dims`` of
    every input: the SizeRule of the per-dim checks, the coupled clauses (``derive``),
    and whether the rule holds whatever the other dims' sizes (False when sizes below
    the derivation's start were tried with every analysed dim at once, where a coupled
    check may have failed). Appends ``dims`` to ``tried`` when it infers ``graph`` at
    other sizes (which leaves the graph inferred at the last size tried)."""
    derived = derive(graph, reference, dims)
    scans = derived is None or derived.valid.start > MAX_SCAN
    if tried is not None and (scans or derived.valid.start > 1):
        tried.append(dims)
    if scans:
        return scan(graph, reference, dims, graph_period(graph, dims[0])), {}, True
    memo: dict = {}
    exact = derived.valid & SizeSet.above(derived.valid.start)
    for s in range(1, derived.valid.start):
        if valid(graph, at_size(reference, dims, s), memo):
            exact = exact | SizeSet.point(s)
    coupled_points = bool(derived.any_dim) and derived.valid.start > 1
    return rule_of(replace(exact, start=1)), derived.any_dim, not (coupled_points and len(dims) > 1)


def _clauses(per_dim: list[dict]) -> list[tuple[SizeRule, ...]]:
    """The coupled clauses, each with its condition on dim ``d`` from ``per_dim[d]``;
    a clause some dim always satisfies is left out, and equal clauses stated once."""
    found = []
    for key in per_dim[0]:
        sets = [clauses[key][d] for d, clauses in enumerate(per_dim)]
        if any(s.full for s in sets):
            continue
        clause = tuple(rule_of(replace(s, start=1)) for s in sets)
        if clause not in found:
            found.append(clause)
    return found


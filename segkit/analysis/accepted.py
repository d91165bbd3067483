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
from segkit.analysis.size_rule import SizeRule, rule_of
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


def accepted_sizes(graph: Graph, reference: dict[str, Shape]) -> list[SizeRule]:
    """One SizeRule per spatial dim of the inputs (which share their spatial sizes).

    ``graph`` is re-inferred while checking sizes; it is left inferred at ``reference``.
    """
    rank = min(s.rank for s in reference.values()) if reference else 0
    if rank == 0:
        return []
    infer(graph, reference)
    try:
        if isotropic(graph, reference):
            return [rule_for(graph, reference, tuple(range(rank)))] * rank
        return [rule_for(graph, reference, (dim,)) for dim in range(rank)]
    finally:
        infer(graph, reference)


def rule_for(graph: Graph, reference: dict[str, Shape], dims: tuple[int, ...]) -> SizeRule:
    """The rule for input sizes ``s`` given to the spatial dims ``dims`` of every input."""
    derived = derive(graph, reference, dims)
    if derived is None or derived.start > MAX_SCAN:
        return scan(graph, reference, dims, graph_period(graph, dims[0]))
    memo: dict = {}
    exact = derived & SizeSet.above(derived.start)
    for s in range(1, derived.start):
        if valid(graph, at_size(reference, dims, s), memo):
            exact = exact | SizeSet.point(s)
    return rule_of(replace(exact, start=1))


"""The fallback when a graph has a block without a symbolic size rule (a plugin's
Python block), or whose rule fails (``derive``): try sizes 1, 2, ... with the
torch-free inference pass and state what they show, marked as checked only up to the
last size tried.

The scan stops once two whole periods after the first accepted size agree (the period
is the lcm of the cumulative strides, at most MAX_SCAN_PERIOD), after MIN_WINDOW sizes
at least, or at MAX_SCAN. That stop is a guess, hence the rule's ``bound``.
"""
from __future__ import annotations

import math

from segkit.analysis.infer import infer
from segkit.analysis.size_rule import SizeRule, reduce_period
from segkit.core.graph import Graph
from segkit.core.shape import Shape
from segkit.errors import SegkitError

MIN_WINDOW = 64
MAX_SCAN = 1024
MAX_SCAN_PERIOD = 256
"""The largest period the scan looks for (the derivation's Dims go to ``dim.MAX_PERIOD``)."""


def graph_period(graph: Graph, dim: int) -> int:
    """lcm of the cumulative strides of every node along ``dim``, at most MAX_SCAN_PERIOD."""
    period = 1
    for node in graph.nodes.values():
        for grid in node.meta.get("grids", {}).values():
            if grid is not None and dim < len(grid.jump):
                period = math.lcm(period, grid.jump[dim].numerator)
    return min(period, MAX_SCAN_PERIOD)


def valid(graph: Graph, shapes: dict[str, Shape], memo: dict) -> bool:
    """Whether the graph infers for input ``shapes`` (``memo`` caches node results)."""
    try:
        infer(graph, shapes, grids=False, memo=memo)
    except SegkitError:
        return False
    return True


def at_size(reference: dict[str, Shape], dims, size: int) -> dict[str, Shape]:
    """The reference inputs with spatial dims ``dims`` set to ``size``."""
    shapes = {}
    for name, s in reference.items():
        spatial = list(s.spatial)
        for d in dims:
            spatial[d] = size
        shapes[name] = s.with_spatial(spatial)
    return shapes


def scan(graph: Graph, reference: dict[str, Shape], dims, period: int) -> SizeRule:
    """Try sizes upward until two whole periods after the first valid size agree."""
    seen: list[bool] = []
    memo: dict = {}
    first = None
    for size in range(1, MAX_SCAN + 1):
        seen.append(valid(graph, at_size(reference, dims, size), memo))
        if first is None and seen[-1]:
            first = size
        if first is not None and size >= max(first + 3 * period, MIN_WINDOW) and \
                seen[-2 * period:-period] == seen[-period:]:
            break
    return summarise(seen, period)


def summarise(seen: list[bool], period: int) -> SizeRule:
    """The rule the sizes 1..len(seen) show, with the last period taken as the pattern."""
    limit = len(seen)
    tail = range(limit - period + 1, limit + 1)
    residues = tuple(sorted({s % period for s in tail if seen[s - 1]}))
    period, residues = reduce_period(period, residues)
    if not residues:
        return SizeRule(None, 1, (), tuple(s for s in range(1, limit + 1) if seen[s - 1]), bound=limit)
    minimum = limit
    for size in range(limit, 0, -1):
        if seen[size - 1] != (size % period in residues):
            break
        minimum = size
    while minimum <= limit and not seen[minimum - 1]:
        minimum += 1
    also = tuple(size for size in range(1, minimum) if seen[size - 1])
    return SizeRule(minimum, period, residues, also, bound=limit)

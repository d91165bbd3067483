"""Which input sizes a spec accepts, derived from the shape rules (never from torch).

Every shape rule maps a size s to an output size of the form floor((s + a) / b) * c + d,
so a node's size grows by a fixed amount when s grows by the node's cumulative stride.
Validity (sizes >= 1, equal sizes where paths meet) is therefore periodic in s with
period P = lcm of the strides, beyond some minimum. We run the torch-free inference
pass for candidate sizes 1..L (L covering the minimum plus three periods) along each
spatial dim, with the other dims held at the reference input, and summarise the valid
set as "s >= m and s = r (mod P)".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from segkit.errors import SegkitError
from segkit.infer import infer
from segkit.ir import Graph
from segkit.shapes import Shape

MIN_WINDOW = 64
MAX_SCAN = 1024


@dataclass(frozen=True)
class SizeRule:
    """The accepted sizes of one spatial dim: s >= minimum and s % period in residues,
    plus the isolated smaller sizes in ``also`` (e.g. 1, where a map broadcasts)."""

    minimum: int | None
    period: int
    residues: tuple[int, ...]
    also: tuple[int, ...] = ()

    def accepts(self, size: int) -> bool:
        if size in self.also:
            return True
        return self.minimum is not None and size >= self.minimum and size % self.period in self.residues

    def examples(self, near: int, count: int = 2) -> list[int]:
        """Accepted sizes closest to ``near``."""
        if self.minimum is None:
            return []
        start = max(self.minimum, near - 2 * self.period)
        found = [s for s in range(start, max(start, near) + 2 * self.period + 1) if self.accepts(s)]
        return sorted(found, key=lambda s: (abs(s - near), s))[:count]

    def describe(self, dim: str) -> str:
        if self.minimum is None:
            return f"{dim}: no size up to {MAX_SCAN} works"
        parts = []
        if self.period > 1:
            if self.residues == (0,):
                parts.append(f"a multiple of {self.period}")
            elif len(self.residues) == 1:
                parts.append(f"{self.period}k + {self.residues[0]}")
            else:
                parts.append(f"= {_runs(self.residues)} (mod {self.period})")
        parts.append(f">= {self.minimum}")
        text = f"{dim} " + ", ".join(parts)
        if self.also:
            text += f" (also {_runs(self.also)})"
        return text


def _runs(values: tuple[int, ...]) -> str:
    """(0, 1, 2, 3, 7) -> '0..3, 7'."""
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][1] + 1:
            runs[-1][1] = v
        else:
            runs.append([v, v])
    return ", ".join(f"{a}..{b}" if b > a + 1 else (f"{a}, {b}" if b > a else str(a)) for a, b in runs)


def graph_period(graph: Graph, dim: int) -> int:
    """lcm of the cumulative strides of every node along ``dim``."""
    period = 1
    for node in graph.nodes.values():
        for grid in node.meta.get("grids", {}).values():
            if grid is not None and dim < len(grid.jump):
                period = math.lcm(period, grid.jump[dim].numerator)
    return min(period, 256)


def _valid(graph: Graph, shapes: dict[str, Shape], memo: dict) -> bool:
    try:
        infer(graph, shapes, grids=False, memo=memo)
    except SegkitError:
        return False
    return True


def isotropic(graph: Graph, reference: dict[str, Shape]) -> bool:
    """True when every spatial dim behaves alike (square inputs, square strides and
    receptive fields everywhere), so one scan over square sizes serves all dims."""
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

    ``graph`` is re-inferred while scanning; it is left inferred at ``reference``.
    """
    rank = min(s.rank for s in reference.values()) if reference else 0
    if rank == 0:
        return []
    infer(graph, reference)
    square = isotropic(graph, reference)
    try:
        if square:
            rule = _scan(graph, reference, range(rank), graph_period(graph, 0))
            return [rule] * rank
        return [_scan(graph, reference, (dim,), graph_period(graph, dim)) for dim in range(rank)]
    finally:
        infer(graph, reference)


def _scan(graph: Graph, reference: dict[str, Shape], dims, period: int) -> SizeRule:
    """Scan sizes upward until two whole periods after the first valid size agree."""
    valid: list[bool] = []
    memo: dict = {}
    first = None
    for size in range(1, MAX_SCAN + 1):
        shapes = {}
        for name, s in reference.items():
            spatial = list(s.spatial)
            for d in dims:
                spatial[d] = size
            shapes[name] = s.with_spatial(spatial)
        valid.append(_valid(graph, shapes, memo))
        if first is None and valid[-1]:
            first = size
        if first is not None and size >= max(first + 3 * period, MIN_WINDOW) and \
                valid[-2 * period:-period] == valid[-period:]:
            break
    return _summarise(valid, period)


def _summarise(valid: list[bool], period: int) -> SizeRule:
    limit = len(valid)
    tail = range(limit - period + 1, limit + 1)
    residues = tuple(sorted({s % period for s in tail if valid[s - 1]}))
    period, residues = _reduce(period, residues)
    if not residues:
        return SizeRule(None, period, ())
    minimum = limit
    for size in range(limit, 0, -1):
        if valid[size - 1] != (size % period in residues):
            break
        minimum = size
    while minimum <= limit and not valid[minimum - 1]:
        minimum += 1
    also = tuple(size for size in range(1, minimum) if valid[size - 1])
    return SizeRule(minimum, period, residues, also)


def _reduce(period: int, residues: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """The smallest period describing the same residue set."""
    for q in range(1, period + 1):
        if period % q == 0:
            reduced = {r % q for r in residues}
            if {r for r in range(period) if r % q in reduced} == set(residues):
                return q, tuple(sorted(reduced))
    return period, residues


def describe(rules: list[SizeRule]) -> str:
    names = ["H", "W"] if len(rules) == 2 else (["D", "H", "W"] if len(rules) == 3 else ["L"])
    if len(rules) >= 2 and len(set(rules)) == 1:
        return rules[0].describe(", ".join(names[: len(rules)]))
    return "; ".join(rule.describe(name) for rule, name in zip(rules, names))

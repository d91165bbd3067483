"""Relations between sizes that give a set or a size: ``equal`` (where two sizes agree)
and ``select`` (a size chosen by a condition, for rules such as ceil-mode pooling's
last-window test and the larger of two broadcast sizes)."""
from __future__ import annotations

import math

from segkit.core.size_algebra.dim import Dim, lift
from segkit.core.size_algebra.sets import SizeSet, clip, first_q


def equal(x, y) -> "SizeSet | bool":
    """Where sizes ``x`` and ``y`` (ints or Dims) are equal."""
    if x is y or (isinstance(x, Dim) and x == y):
        return True
    if isinstance(x, int) and isinstance(y, int):
        return x == y
    d = lift(x) - lift(y)
    parts = []
    for r, (a, b) in enumerate(d.terms):
        q0 = first_q(r)
        if a == 0:
            spans = [(q0, None)] if b == 0 else []
        else:
            spans = [(-b // a, -b // a)] if b % a == 0 else []
        parts.append(clip(spans, q0))
    return SizeSet.made(d.period, parts, d.start)

def select(condition, if_true, if_false):
    """``if_true if condition else if_false`` for ints; for a symbolic condition, the
    Dim taking ``if_true`` where it holds. Each residue class's condition is constant
    from some size on; the result is exact from the largest such size (its ``start``)."""
    if isinstance(condition, bool):
        return if_true if condition else if_false
    a, b = lift(if_true), lift(if_false)
    period = math.lcm(condition.period, a.period, b.period)
    cond, a, b = condition.refine(period), a.refine(period), b.refine(period)
    terms, start = [], max(cond.start, a.start, b.start)
    for r, spans in enumerate(cond.parts):
        q0 = first_q(r)
        holds = bool(spans) and spans[-1][1] is None
        if spans and spans != ((q0, None),):  # mixed: constant from the last boundary on
            start = max(start, period * (spans[-1][0] if holds else spans[-1][1] + 1) + r)
        terms.append(a.terms[r] if holds else b.terms[r])
    return Dim(period, tuple(terms), start)


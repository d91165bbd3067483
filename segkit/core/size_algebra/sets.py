"""``SizeSet``: a set of input sizes ``s >= 1``, kept as integer intervals of ``q`` on
each residue class ``s = period*q + r``, the form comparisons of quasi-affine sizes
(``Dim``) take. Sets combine with ``&`` and ``|`` (``every``, ``some``). ``start``: the
set is exact for ``s >= start`` (see ``Dim``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

MAX_PERIOD = 1 << 12
"""The largest period a Dim may have; past it the table would be large and the
derivation gives way to scanning sizes (``PeriodTooLarge``)."""


class PeriodTooLarge(ValueError):
    """A size rule needs a period above MAX_PERIOD (a huge stride, or a scale factor such as
    0.1 whose binary fraction is long)."""


Intervals = tuple[tuple[int, "int | None"], ...]
"""Sorted, disjoint, non-adjacent inclusive ranges of q; None is no upper end."""


def first_q(r: int) -> int:
    """The smallest q with period*q + r >= 1 (for a residue r < period)."""
    return 1 if r == 0 else 0


def _normal(spans) -> Intervals:
    spans = list(spans)
    if len(spans) == 1:  # the common case: no sorting or merging to do
        lo, hi = spans[0]
        return () if hi is not None and hi < lo else ((lo, hi),)
    out: list[list] = []
    for lo, hi in sorted(spans, key=lambda span: span[0]):
        if hi is not None and hi < lo:
            continue
        if out and (out[-1][1] is None or lo <= out[-1][1] + 1):
            if out[-1][1] is not None and (hi is None or hi > out[-1][1]):
                out[-1][1] = hi
            continue
        out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def clip(spans, lo_bound: int) -> Intervals:
    return _normal((max(lo, lo_bound), hi) for lo, hi in spans)


def _intersect(a: Intervals, b: Intervals) -> Intervals:
    out = []
    for lo1, hi1 in a:
        for lo2, hi2 in b:
            lo = max(lo1, lo2)
            hi = hi2 if hi1 is None else hi1 if hi2 is None else min(hi1, hi2)
            if hi is None or lo <= hi:
                out.append((lo, hi))
    return _normal(out)


@dataclass(frozen=True)
class SizeSet:
    """``parts[r]``: the q with ``period*q + r`` in the set, exact for sizes >= ``start``."""

    period: int
    parts: tuple[Intervals, ...]
    start: int = 1

    @classmethod
    def everything(cls) -> "SizeSet":
        return cls(1, (((1, None),),))

    @classmethod
    def nothing(cls) -> "SizeSet":
        return cls(1, ((),))

    @classmethod
    def above(cls, start: int) -> "SizeSet":
        """The sizes >= ``start``."""
        return cls(1, (((start, None),),))

    @classmethod
    def point(cls, s: int) -> "SizeSet":
        """The one size ``s``."""
        return cls(1, (((s, s),),))

    @classmethod
    def made(cls, period: int, parts, start: int = 1) -> "SizeSet":
        """The set, on period 1 when it holds every size or none (which keeps the common
        always-true checks cheap to combine)."""
        parts = tuple(parts)
        if all(spans == ((first_q(r), None),) for r, spans in enumerate(parts)):
            return cls(1, (((1, None),),), start)
        if not any(parts):
            return cls(1, ((),), start)
        return cls(period, parts, start)

    @property
    def full(self) -> bool:
        """Whether the set holds every size (as ``made`` normalizes it)."""
        return self.period == 1 and self.parts == (((1, None),),)

    @classmethod
    def of(cls, condition: "SizeSet | bool") -> "SizeSet":
        if isinstance(condition, SizeSet):
            return condition
        return cls.everything() if condition else cls.nothing()

    def __contains__(self, s: int) -> bool:
        q, r = divmod(s, self.period)
        return any(lo <= q and (hi is None or q <= hi) for lo, hi in self.parts[r])

    def refine(self, period: int) -> "SizeSet":
        """The same set on a period that is a multiple of this one."""
        k = period // self.period
        if k == 1:
            return self
        if period > MAX_PERIOD:
            raise PeriodTooLarge(period)
        parts = []
        for r in range(period):
            j, base = divmod(r, self.period)  # q = k*q' + j
            spans = [(-((j - lo) // k), None if hi is None else (hi - j) // k) for lo, hi in self.parts[base]]
            parts.append(clip(spans, first_q(r)))
        return SizeSet(period, tuple(parts), self.start)

    def _pair(self, other: "SizeSet") -> tuple["SizeSet", "SizeSet"]:
        period = math.lcm(self.period, other.period)
        return self.refine(period), other.refine(period)

    def __and__(self, other) -> "SizeSet":
        other = SizeSet.of(other)
        start = max(self.start, other.start)
        if self.full or other.full:  # the common case: most checks always hold
            return replace(other if self.full else self, start=start)
        a, b = self._pair(other)
        return SizeSet.made(a.period, (_intersect(x, y) for x, y in zip(a.parts, b.parts)), start)

    __rand__ = __and__

    def __or__(self, other) -> "SizeSet":
        other = SizeSet.of(other)
        a, b = self._pair(other)
        return SizeSet.made(a.period, (_normal(x + y) for x, y in zip(a.parts, b.parts)), max(a.start, b.start))

    __ror__ = __or__

    def __bool__(self):
        raise TypeError("a set of sizes has no truth value; combine it with & and |, or use segkit.core.size_algebra.select")




def every(conditions) -> "SizeSet | bool":
    """All of ``conditions`` (bools or SizeSets)."""
    result: SizeSet | bool = True
    for c in conditions:
        result = (result and c) if isinstance(result, bool) and isinstance(c, bool) else SizeSet.of(result) & c
    return result


def some(conditions) -> "SizeSet | bool":
    """Any of ``conditions`` (bools or SizeSets)."""
    result: SizeSet | bool = False
    for c in conditions:
        result = (result or c) if isinstance(result, bool) and isinstance(c, bool) else SizeSet.of(result) | c
    return result

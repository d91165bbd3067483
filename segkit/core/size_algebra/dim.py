"""``Dim``: one spatial size as an exact function of the input size ``s`` under analysis.

The size rules of segkit's ops build sizes from ``s`` with ``+``, ``-``, multiplication
by an integer and floor division by a positive integer (strides, kernels, dyadic scale
factors), so every size is quasi-affine in ``s``: for some period P, on each residue
class ``s = P*q + r`` it equals ``a_r*q + b_r`` with integers ``a_r``, ``b_r``. A ``Dim``
holds that table. Composing rules keeps the form; a division multiplies the period
only by what it needs (``s // 2 // 2`` has period 4). A piecewise rule (``select``) is
quasi-affine from some size on; ``start`` records from which: the table is exact for
``s >= start``. Comparisons (``>=``, ``<`` ...) give the ``SizeSet`` where they hold.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from segkit.core.size_algebra.sets import MAX_PERIOD, PeriodTooLarge, SizeSet, first_q


@dataclass(frozen=True)
class Dim:
    """``terms[r] = (a, b)``: the size is ``a*q + b`` for ``s = period*q + r``, ``s >= start``."""

    period: int
    terms: tuple[tuple[int, int], ...]
    start: int = 1

    @classmethod
    def const(cls, value: int) -> "Dim":
        return cls(1, ((0, value),))

    @classmethod
    def var(cls) -> "Dim":
        """The input size ``s`` itself."""
        return cls(1, ((1, 0),))

    def at(self, s: int) -> int:
        q, r = divmod(s, self.period)
        a, b = self.terms[r]
        return a * q + b

    def refine(self, period: int) -> "Dim":
        """The same function on a period that is a multiple of this one."""
        k = period // self.period
        if k == 1:
            return self
        if period > MAX_PERIOD:
            raise PeriodTooLarge(period)
        terms = []
        for r in range(period):
            j, base = divmod(r, self.period)
            a, b = self.terms[base]
            terms.append((a * k, a * j + b))  # s = P*(k*q' + j) + base
        return Dim(period, tuple(terms), self.start)

    def _pair(self, other) -> tuple["Dim", "Dim"]:
        other = lift(other)
        period = math.lcm(self.period, other.period)
        return self.refine(period), other.refine(period)

    def __add__(self, other) -> "Dim":
        if isinstance(other, int) and not isinstance(other, bool):  # a constant shifts every b
            return Dim(self.period, tuple((a, b + other) for a, b in self.terms), self.start)
        if not isinstance(other, Dim):
            return NotImplemented
        a, b = self._pair(other)
        return Dim(a.period, tuple((x + u, y + v) for (x, y), (u, v) in zip(a.terms, b.terms)),
                   max(a.start, b.start))

    __radd__ = __add__

    def __neg__(self) -> "Dim":
        return Dim(self.period, tuple((-a, -b) for a, b in self.terms), self.start)

    def __sub__(self, other) -> "Dim":
        return self + (-other if isinstance(other, int) else -lift(other))

    def __rsub__(self, other) -> "Dim":
        return lift(other) + (-self)

    def __mul__(self, k) -> "Dim":
        if not isinstance(k, int):
            return NotImplemented
        return Dim(self.period, tuple((a * k, b * k) for a, b in self.terms), self.start)

    __rmul__ = __mul__

    def __floordiv__(self, m) -> "Dim":
        if not isinstance(m, int) or m <= 0:
            return NotImplemented
        k = math.lcm(*(m // math.gcd(m, a) for a, _ in self.terms))
        fine = self.refine(self.period * k)  # now m divides every a: floor((a*q + b)/m) = a/m*q + b//m
        return Dim(fine.period, tuple((a // m, b // m) for a, b in fine.terms), self.start)

    def _diff(self, other) -> "Dim":
        return self - lift(other)

    def __ge__(self, other):
        return nonnegative(self._diff(other))

    def __gt__(self, other):
        return self >= lift(other) + 1

    def __le__(self, other):
        return lift(other) >= self

    def __lt__(self, other):
        return lift(other) > self

    def __bool__(self):
        raise TypeError("a symbolic size has no truth value; compare it, or use segkit.core.size_algebra.select")


def lift(value) -> Dim:
    """``value`` as a Dim (ints become constants)."""
    if isinstance(value, Dim):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Dim.const(value)
    raise TypeError(f"not a size: {value!r}")


def nonnegative(d: Dim) -> SizeSet:
    """The sizes where ``d >= 0``: on each residue class one interval of q (or none)."""
    parts = []
    for r, (a, b) in enumerate(d.terms):
        q0 = first_q(r)
        if a > 0:
            lo, hi = max(-(b // a), q0), None  # q >= ceil(-b / a)
        elif a == 0:
            lo, hi = q0, (None if b >= 0 else q0 - 1)
        else:
            lo, hi = q0, b // -a  # q <= floor(b / -a)
        parts.append(((lo, hi),) if hi is None or lo <= hi else ())
    return SizeSet.made(d.period, parts, d.start)

"""``SizeRule``: the accepted sizes of one spatial dim as a report states them
("a multiple of 32, >= 32"), made from the exact set of accepted sizes, or from a
bounded scan, in which case the rule says up to which size it was checked."""
from __future__ import annotations

from dataclasses import dataclass

from segkit.core.size_algebra.sets import SizeSet


@dataclass(frozen=True)
class SizeRule:
    """The accepted sizes of one spatial dim: s >= minimum and s % period in residues,
    plus the isolated smaller sizes in ``also`` (e.g. 1, where a map broadcasts).

    ``bound`` is None when the rule is derived for every size; otherwise sizes were only
    tried up to ``bound`` (a block without a symbolic size rule) and the rule is what
    those sizes show, extrapolated beyond."""

    minimum: int | None
    period: int
    residues: tuple[int, ...]
    also: tuple[int, ...] = ()
    bound: int | None = None

    def accepts(self, size: int) -> bool:
        if size in self.also:
            return True
        return self.minimum is not None and size >= self.minimum and size % self.period in self.residues

    def at_least(self, size: int) -> int | None:
        """The smallest accepted size >= ``size`` (None when no size is): where
        prediction pads an image of size ``size`` to."""
        if self.minimum is None:
            return next((s for s in self.also if s >= size), None)
        if size in self.also:
            return size
        s = max(size, self.minimum)
        return next(s + k for k in range(self.period) if self.accepts(s + k))

    def residue_class(self, size: int) -> SizeRule:
        """The accepted sizes congruent to accepted ``size`` modulo the period (the
        ``period*k + r`` one symbolic dimension can state); ``self`` when there is one
        residue."""
        if len(self.residues) <= 1 or self.minimum is None:
            return self
        r = size % self.period
        return SizeRule(self.minimum + (r - self.minimum) % self.period, self.period, (r,), bound=self.bound)

    def examples(self, near: int, count: int = 2) -> list[int]:
        """Accepted sizes closest to ``near``."""
        if self.minimum is None:
            return []
        start = max(self.minimum, near - 2 * self.period)
        found = [s for s in range(start, max(start, near) + 2 * self.period + 1) if self.accepts(s)]
        return sorted(found, key=lambda s: (abs(s - near), s))[:count]

    def describe(self, dim: str) -> str:
        checked = f" (checked up to {self.bound} only)" if self.bound is not None else ""
        if self.minimum is None:
            found = f"only {_runs(self.also)}" if self.also else "no size"
            return f"{dim}: {found} works{checked}"
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
        return text + checked


class AcceptedSizes(list):
    """The input sizes a spec accepts: one SizeRule per spatial dim (the list), for the
    checks that hold per dim, and ``any_dim``: coupled clauses (a map that needs more
    than one element: 1x7 works, 1x1 does not), each one SizeRule per dim of which at
    least one must accept."""

    def __init__(self, rules=(), any_dim=()):
        super().__init__(rules)
        self.any_dim: tuple[tuple[SizeRule, ...], ...] = tuple(any_dim)

    def accepts(self, spatial) -> bool:
        """Whether inputs of spatial sizes ``spatial`` (one per dim) are accepted."""
        return all(rule.accepts(s) for rule, s in zip(self, spatial)) and \
            all(any(rule.accepts(s) for rule, s in zip(clause, spatial)) for clause in self.any_dim)


def _runs(values: tuple[int, ...]) -> str:
    """(0, 1, 2, 3, 7) -> '0..3, 7'."""
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][1] + 1:
            runs[-1][1] = v
        else:
            runs.append([v, v])
    return ", ".join(f"{a}..{b}" if b > a + 1 else (f"{a}, {b}" if b > a else str(a)) for a, b in runs)


def rule_of(sizes: SizeSet) -> SizeRule:
    """The SizeRule stating exactly the set ``sizes`` (exact for every size >= 1)."""
    period = sizes.period
    residues, last_misfit = [], 0  # last_misfit: the largest size breaking the periodic pattern
    for r, spans in enumerate(sizes.parts):
        if spans and spans[-1][1] is None:
            residues.append(r)
            last_misfit = max(last_misfit, period * (spans[-1][0] - 1) + r)  # rejected, or < 1
        elif spans:
            last_misfit = max(last_misfit, period * spans[-1][1] + r)  # the last accepted one
    if not residues:
        return SizeRule(None, 1, (), tuple(s for s in range(1, last_misfit + 1) if s in sizes))
    minimum = last_misfit + 1
    while minimum not in sizes:
        minimum += 1
    period, reduced = reduce_period(period, tuple(residues))
    return SizeRule(minimum, period, reduced, tuple(s for s in range(1, minimum) if s in sizes))


def reduce_period(period: int, residues: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
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
        text = rules[0].describe(", ".join(names[: len(rules)]))
    else:
        text = "; ".join(rule.describe(name) for rule, name in zip(rules, names))
    for clause in getattr(rules, "any_dim", ()):
        text += "; and " + " or ".join(rule.describe(name) for rule, name in zip(clause, names))
    return text

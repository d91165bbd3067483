"""Export for every accepted input size, planned from the spec's size rules alone (no
torch): the sizes a dynamic file is checked at, the symbolic dimensions of
torch.export (``period*k + residue``, with bounds), the pad/crop plan prediction
applies, and the min/opt/max profile of a TensorRT engine built from the ONNX file.

One symbolic dimension states one residue class, so a rule such as "= 0, 31 (mod 32)"
is exported to an ExportedProgram for the class of the example size only, and the file
says so; ONNX has no such guards and takes every accepted size.
"""
from __future__ import annotations

from dataclasses import dataclass

from segkit.analysis.size_rule import SizeRule, describe

MAX_SIZE = 4096
"""The largest size per spatial dim a dynamic export promises (torch.export's upper
bounds, the TensorRT profile's max), unless the caller gives another."""

METADATA_KEY = "segkit.accepted_sizes"


@dataclass(frozen=True)
class SymbolicDim:
    """One spatial dim of a dynamic ExportedProgram: size = period * k + residue with
    k_min <= k <= k_max (a plain dim with bounds when period is 1)."""

    period: int
    residue: int
    k_min: int
    k_max: int

    @property
    def minimum(self) -> int:
        return self.period * self.k_min + self.residue

    @property
    def maximum(self) -> int:
        return self.period * self.k_max + self.residue


@dataclass(frozen=True)
class PadPlan:
    """How prediction runs an image of ``size``: zero-pad at the bottom/right to
    ``padded`` (the next accepted size per dim), run, crop the logits back to ``size``."""

    size: tuple[int, ...]
    padded: tuple[int, ...] | None
    """None when some dim has no accepted size >= it."""

    def describe(self) -> str:
        size = "x".join(map(str, self.size))
        if self.padded is None:
            return f"{size}: no accepted size is at least as large; cannot be run"
        if self.padded == self.size:
            return f"{size}: accepted as is, run unchanged"
        sides = ("back", "bottom", "right")[-len(self.size):]
        pads = ", ".join(f"{p - s} {side}" for side, s, p in zip(sides, self.size, self.padded) if p != s)
        return (f"{size}: zero-pad to {'x'.join(map(str, self.padded))} ({pads}), run the model, "
                f"crop the logits back to {size}")


def exported_rules(rules: list[SizeRule], spatial: tuple[int, ...]) -> list[SizeRule]:
    """The rules an ExportedProgram states: each dim's residue class of the example size."""
    return [rule.residue_class(s) for rule, s in zip(rules, spatial)]


def largest_at_most(rule: SizeRule, size: int) -> int | None:
    """The largest accepted size <= ``size`` (None when none is)."""
    if rule.minimum is None or size < rule.minimum:
        return max((s for s in rule.also if s <= size), default=None)
    return next(s for s in range(size, size - rule.period - 1, -1) if rule.accepts(s))


def symbolic_dims(rules: list[SizeRule], spatial: tuple[int, ...], max_size: int = MAX_SIZE) -> list[SymbolicDim]:
    """torch.export's dims for ``rules`` (one residue class each, see
    :func:`exported_rules`); the lower bound is at least 2, because torch.export
    specialises sizes 0 and 1."""
    dims = []
    for rule, s in zip(exported_rules(rules, spatial), spatial):
        residue = rule.residues[0] if rule.period > 1 else 0
        k_min = -(-(max(rule.minimum, 2) - residue) // rule.period)
        k_max = max(k_min, (max(max_size, s) - residue) // rule.period)
        dims.append(SymbolicDim(rule.period, residue, k_min, k_max))
    return dims


def probe_sizes(rules: list[SizeRule], spatial: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Three or more accepted spatial sizes a dynamic file is checked at: the example's,
    each dim's next accepted size, and a size that differs per dim."""
    bigger = [rule.at_least(s + 1) or s for rule, s in zip(rules, spatial)]
    after = [rule.at_least(b + 1) or b for rule, b in zip(rules, bigger)]
    mixed = tuple(after[i] if i % 2 == 0 else s for i, s in enumerate(spatial))
    if len(spatial) == 1:
        mixed = (after[0],)
    found = [tuple(spatial), tuple(bigger), mixed]
    return list(dict.fromkeys(found))


def pad_plan(rules: list[SizeRule], size: tuple[int, ...]) -> PadPlan:
    """What prediction does with an image of ``size`` (:class:`PadPlan`)."""
    padded = tuple(rule.at_least(s) for rule, s in zip(rules, size))
    return PadPlan(tuple(size), None if None in padded else padded)


def nearest_sizes(rules: list[SizeRule], size: tuple[int, ...], count: int = 3) -> list[list[int]]:
    """Per dim, the ``count`` accepted sizes closest to ``size``."""
    return [rule.examples(s, count) for rule, s in zip(rules, size)]


def trt_profile(name: str, channels: int, rules: list[SizeRule], opt: tuple[int, ...],
                batch: tuple[int, int, int] = (1, 1, 1), max_size: int = MAX_SIZE) -> str | None:
    """trtexec's ``--minShapes/--optShapes/--maxShapes`` for input ``name``: the smallest
    accepted size, the nearest accepted one to ``opt`` at or above it, and the largest
    accepted one <= ``max_size``. A profile is a box, not a lattice: sizes inside it that
    the rule does not accept still fail. None when some dim accepts no size."""
    low = [rule.at_least(1) for rule in rules]
    mid = [rule.at_least(s) for rule, s in zip(rules, opt)]
    high = [largest_at_most(rule, max(max_size, s)) for rule, s in zip(rules, opt)]
    if None in low + mid + high:
        return None

    def shape(b, spatial):
        return f"{name}:{'x'.join(map(str, (b, channels, *spatial)))}"

    return (f"--minShapes={shape(batch[0], low)} --optShapes={shape(batch[1], mid)} "
            f"--maxShapes={shape(batch[2], high)}")


def metadata(rules: list[SizeRule], exported: list[SizeRule] | None = None) -> dict[str, str]:
    """What a dynamic file records about its sizes (ONNX metadata_props, an
    ExportedProgram's extra file): the rule it is valid for, and the spec's full rule
    when that is wider."""
    out = {METADATA_KEY: describe(exported or rules)}
    if exported is not None and exported != rules:
        out["segkit.spec_accepted_sizes"] = describe(rules)
    return out

"""``SpatialRule``: what a block's symbolic size rule returns (``Block.spatial_rule``):
each output's spatial sizes as ``Dim``s, the ``SizeSet`` of input sizes its checks
accept, and the checks that couple spatial dims (``any_dim``). Blocks write it with the
same size arithmetic as their ``infer`` (``conv_out``, ``pool_out``, ...), which works on
ints and Dims alike; only the checks change form: ``every(o >= 1 for o in sizes)``
instead of ``expect(...)``.

``valid`` holds per-dim conditions: a size of one dim passes or fails whatever the
others are. A condition on the whole map, such as instance norm's "more than one
spatial element in total", couples the dims (1x7 passes, 1x1 fails) and is no such
condition; it is stated as an ``any_dim`` clause: one condition per spatial dim, of
which at least one must hold (``more_than_one_element``)."""
from __future__ import annotations

from dataclasses import dataclass, field

from segkit.core.size_algebra.relations import equal
from segkit.core.size_algebra.sets import SizeSet, every


class Sizes(tuple):
    """The spatial sizes of one tensor, one Dim per spatial dim, and its ``channels``,
    which stay fixed while the sizes vary (a check such as group norm's depends on them)."""

    channels: "int | None"

    def __new__(cls, dims, channels: "int | None" = None):
        sizes = super().__new__(cls, dims)
        sizes.channels = channels
        return sizes


@dataclass(frozen=True)
class SpatialRule:
    outputs: dict[str, Sizes]
    """Each output's spatial sizes (Dims, or ints for fixed sizes); () for none."""
    valid: "SizeSet | bool" = field(default_factory=SizeSet.everything)
    """The input sizes the block's per-dim spatial checks accept."""
    any_dim: tuple[tuple["SizeSet | bool", ...], ...] = ()
    """Coupled checks: each clause gives one condition per spatial dim (in dim order),
    and holds where at least one of them does."""


def more_than_one_element(x: Sizes) -> tuple["SizeSet | bool", ...]:
    """The ``any_dim`` clause "a map of sizes ``x`` has more than one element": some dim
    has at least 2 (a map without spatial dims has one element: no dim can hold)."""
    return tuple(s >= 2 for s in x)


def keeps_size(block, p, x: Sizes, *rest: Sizes) -> SpatialRule:
    """``Block.spatial_rule`` of a block whose outputs all keep its first input's sizes
    and whose ``infer`` checks no size (norms, activations, dropout, channel plumbing):
    assign it in the class body, ``spatial_rule = keeps_size``."""
    return SpatialRule(dict.fromkeys(block.output_names(p), x))


def equal_sizes(block, p, x: Sizes, *rest: Sizes) -> SpatialRule:
    """``Block.spatial_rule`` of a block whose inputs must all have the first one's sizes
    and whose outputs have them too (concat, a switch between two branches): assign it
    in the class body, ``spatial_rule = equal_sizes``."""
    return SpatialRule(dict.fromkeys(block.output_names(p), x),
                       every(equal(a, b) for sizes in rest for a, b in zip(sizes, x)))

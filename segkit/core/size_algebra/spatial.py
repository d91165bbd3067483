"""``SpatialRule``: what a block's symbolic size rule returns (``Block.spatial_rule``):
each output's spatial sizes as ``Dim``s, and the ``SizeSet`` of input sizes its checks
accept. Blocks write it with the same size arithmetic as their ``infer``
(``conv_out``, ``pool_out``, ...), which works on ints and Dims alike; only the checks
change form: ``every(o >= 1 for o in sizes)`` instead of ``expect(...)``."""
from __future__ import annotations

from dataclasses import dataclass, field

from segkit.core.size_algebra.dim import Dim
from segkit.core.size_algebra.relations import equal
from segkit.core.size_algebra.sets import SizeSet, every

Sizes = tuple[Dim, ...]
"""The spatial sizes of one tensor, one Dim per spatial dim."""


@dataclass(frozen=True)
class SpatialRule:
    outputs: dict[str, Sizes]
    """Each output's spatial sizes (Dims, or ints for fixed sizes); () for none."""
    valid: "SizeSet | bool" = field(default_factory=SizeSet.everything)
    """The input sizes the block's spatial checks accept."""


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

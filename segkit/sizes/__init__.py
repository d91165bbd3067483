"""Accepted input sizes, derived from the shape rules (never from torch): the symbolic
size algebra (``Dim``, ``SizeSet``, ``select``, ...) that blocks' ``spatial_rule``
methods are written in, the derivation over a graph, and the ``SizeRule`` a report
states ("H, W a multiple of 32, >= 32")."""
from segkit.sizes.accepted import accepted_sizes
from segkit.sizes.dim import Dim
from segkit.sizes.rule import SizeRule, describe
from segkit.sizes.sets import SizeSet, equal, every, select, some
from segkit.sizes.spatial import SpatialRule, equal_sizes, keeps_size

__all__ = ["Dim", "SizeRule", "SizeSet", "SpatialRule", "accepted_sizes", "describe", "equal", "equal_sizes", "every",
           "keeps_size", "select", "some"]

"""The symbolic size algebra that blocks state their spatial rules in (never torch):
``Dim`` (a size as a quasi-affine function of the input size), ``SizeSet`` (a set of
accepted sizes, exact per residue class) and ``SpatialRule`` with its common forms
(``keeps_size``, ``equal_sizes``) and coupled checks (``more_than_one_element``). The
graph-level derivation that composes these rules into the sizes a spec accepts is
:mod:`segkit.analysis.accepted`."""
from segkit.core.size_algebra.dim import Dim
from segkit.core.size_algebra.relations import equal, select
from segkit.core.size_algebra.sets import SizeSet, every, some
from segkit.core.size_algebra.spatial import SpatialRule, equal_sizes, keeps_size, more_than_one_element

__all__ = ["Dim", "SizeSet", "SpatialRule", "equal", "equal_sizes", "every", "keeps_size", "more_than_one_element",
           "select", "some"]

"""The exact set of accepted input sizes of a graph, derived from its blocks' symbolic
size rules (``Block.spatial_rule``) instead of trying sizes.

The analysed spatial dims of every input are one variable size ``s`` (the others keep
their reference size); each node's rule maps its inputs' ``Dim``s to its outputs' and
contributes the sizes its checks accept. The graph accepts the intersection. Returns
None when a block has no symbolic rule or a period would exceed ``dim.MAX_PERIOD`` (the
caller then scans sizes instead).
"""
from __future__ import annotations

from segkit.ir import Graph
from segkit.shapes import Shape
from segkit.sizes.dim import Dim, PeriodTooLarge, lift
from segkit.sizes.sets import SizeSet


def derive(graph: Graph, reference: dict[str, Shape], dims) -> SizeSet | None:
    """The input sizes ``s`` (given to the spatial dims ``dims`` of every input) for which
    every node's size checks pass, exact for ``s >= result.start``."""
    values: dict[tuple[str, str], tuple[Dim, ...]] = {}
    for name, shape in reference.items():
        values[(name, "out")] = tuple(Dim.var() if d in dims else Dim.const(n) for d, n in enumerate(shape.spatial))
    accepted = SizeSet.everything()
    try:
        for node in graph.nodes.values():
            rule = node.block.spatial_rule(node.params, *(values[(v.node, v.output)] for v in node.inputs))
            if rule is None:
                return None
            accepted = accepted & rule.valid
            for name, sizes in rule.outputs.items():
                values[(node.id, name)] = tuple(lift(d) for d in sizes)
    except PeriodTooLarge:
        return None
    return accepted

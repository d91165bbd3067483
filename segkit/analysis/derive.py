"""The exact set of accepted input sizes of a graph, derived from its blocks' symbolic
size rules (``Block.spatial_rule``) instead of trying sizes.

The analysed spatial dims of every input are one variable size ``s`` (the others keep
their reference size); each node's rule maps its inputs' ``Dim``s to its outputs' and
contributes the sizes its checks accept. The graph accepts the intersection, and
each coupled clause (``SpatialRule.any_dim``) a node states. Returns None when a block has no symbolic rule or a period would exceed ``dim.MAX_PERIOD`` (the
caller then scans sizes instead).

A rule that raises (a plugin's ``if x[0] >= 2:`` asks a ``SizeSet`` for a truth value,
``x[0] * x[1]`` multiplies two Dims) is treated like a missing rule, plus a warning on
the graph naming the node, the block and the error: the rule only makes the report
exact, while the inference pass, which the scan uses, is what decides whether a size
works; so a broken rule must not stop ``segkit check`` for the plugin's users, and the
warning still shows its author what to fix.
"""
from __future__ import annotations

from dataclasses import dataclass

from segkit.core.graph import Graph, Node, Warning_
from segkit.core.shape import Shape
from segkit.core.size_algebra.dim import Dim, PeriodTooLarge, lift
from segkit.core.size_algebra.sets import SizeSet, some
from segkit.core.size_algebra.spatial import Sizes


@dataclass(frozen=True)
class Derived:
    """What the derivation found: ``valid``, the sizes every per-dim check accepts, and
    ``any_dim``, each node's coupled clauses by (node id, index): one condition per
    spatial dim of the node's input."""

    valid: SizeSet
    any_dim: dict[tuple[str, int], tuple["SizeSet | bool", ...]]


def derive(graph: Graph, reference: dict[str, Shape], dims) -> Derived | None:
    """The input sizes ``s`` (given to the spatial dims ``dims`` of every input) for which
    every node's size checks pass, exact for ``s >= result.valid.start``."""
    values: dict[tuple[str, str], Sizes] = {}
    for name, shape in reference.items():
        values[(name, "out")] = Sizes((Dim.var() if d in dims else Dim.const(n) for d, n in enumerate(shape.spatial)),
                                      shape.channels)
    accepted = SizeSet.everything()
    clauses = {}
    for node in graph.nodes.values():
        try:
            rule = node.block.spatial_rule(node.params, *(values[(v.node, v.output)] for v in node.inputs))
            if rule is None:
                return None
            accepted = accepted & rule.valid
            for k, clause in enumerate(rule.any_dim):
                if len(clause) <= 1:  # one dim (or none): a per-dim condition after all
                    accepted = accepted & some(clause)
                else:
                    clauses[(node.id, k)] = tuple(SizeSet.of(c) for c in clause)
            shapes = node.meta["shapes"]
            for name, sizes in rule.outputs.items():
                values[(node.id, name)] = Sizes((lift(d) for d in sizes), shapes[name].channels)
        except PeriodTooLarge:
            return None
        except Exception as exc:  # a broken (plugin) rule: see the module doc
            _warn(graph, node, exc)
            return None
    return Derived(accepted, clauses)


def _warn(graph: Graph, node: Node, exc: Exception) -> None:
    """Add the warning about ``node``'s failing rule once (a graph may be derived per dim)."""
    warning = Warning_(f"the size rule (spatial_rule) of block {node.op!r} ({type(node.block).__module__}) "
                       f"failed at node {node.id!r}: {type(exc).__name__}: {exc}; the accepted input sizes "
                       "are found by trying sizes instead", node.loc)
    if warning not in graph.warnings:
        graph.warnings.append(warning)

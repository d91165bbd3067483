"""The torch-free inference pass: output shapes, output stride, receptive field,
params and MACs of every node, from the blocks' shape rules.

Stride and receptive field follow each block's ``Geometry``:
jump_out = jump_in * jump, rf_out = rf_in + (kernel - 1) * min(jump_in, jump_out);
multi-input nodes take the largest receptive field and the first input's jump. A block
that declares no geometry gets its jump from the ratio of its input and output sizes
and an unknown receptive field (``Grid.known`` False, shown as ``?``), which stays
unknown downstream until a global block; a wrong number is never shown.
Results go to ``node.meta``: ``inference``, ``shapes`` and ``grids``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from fractions import Fraction

from segkit.core.block import ParamError
from segkit.core.graph import Graph, Node, Value
from segkit.core.shape import Shape
from segkit.errors import MismatchError, SegkitError, ShapeError


@dataclass(frozen=True)
class Grid:
    """Sample spacing (``jump``, the output stride) and receptive field per spatial dim;
    ``rf`` is None when every output sees the whole input; ``known`` is False when a
    block on the way declared no geometry (``rf`` is then meaningless)."""

    jump: tuple[Fraction, ...]
    rf: tuple[int, ...] | None
    known: bool = True

    @classmethod
    def identity(cls, rank: int) -> "Grid":
        return cls((Fraction(1),) * rank, (1,) * rank)


def describe_inputs(shapes: dict[str, Shape]) -> str:
    if len(shapes) == 1:
        return f"input {next(iter(shapes.values()))}"
    return "inputs " + ", ".join(f"{k} {v}" for k, v in shapes.items())


class Analysis:
    """Shapes and grids of every value of a graph, filled node by node."""

    def __init__(self, graph: Graph, input_shapes: dict[str, Shape], grids: bool = True,
                 memo: dict | None = None):
        self.graph = graph
        self.input_shapes = input_shapes
        self.grids = grids
        self.memo = memo
        for name, shape in input_shapes.items():
            graph.input_meta[name] = {"shapes": {"out": shape}, "grids": {"out": Grid.identity(shape.rank)}}

    def grid(self, value: Value) -> Grid:
        return self.graph.meta(value)["grids"][value.output]

    def run(self, node: Node) -> None:
        """Infer one node whose inputs are already inferred."""
        shapes = [self.graph.shape(v) for v in node.inputs]
        if self.memo is not None:
            key = (node.id, *shapes)
            found = self.memo.get(key)
            if found is None:
                try:
                    found = self.memo[key] = self.infer_node(node, shapes)
                except SegkitError as exc:
                    found = self.memo[key] = exc
            if isinstance(found, SegkitError):
                raise found
            node.meta["inference"] = found
            node.meta["shapes"] = found.outputs
            return
        inference = self.infer_node(node, shapes)
        node.meta["inference"] = inference
        node.meta["shapes"] = inference.outputs
        if self.grids:
            grid = self.next_grid(node, inference, shapes)
            node.meta["grids"] = {name: grid if s.rank == len(grid.jump) else None
                                  for name, s in inference.outputs.items()}

    def infer_node(self, node: Node, shapes: list[Shape]):
        """The block's rule on ``shapes``, with errors located at the node."""
        block = node.block
        if shapes and not (block.min_rank <= shapes[0].rank <= (block.max_rank if block.max_rank is not None else 99)):
            limit = f"{block.min_rank}..{block.max_rank}" if block.max_rank is not None else f">= {block.min_rank}"
            raise ShapeError(f"node {node.id!r} ({node.op}): takes inputs with {limit} spatial dims, "
                             f"got {shapes[0]}", node.loc)
        try:
            inference = node.block.infer(node.params, *shapes)
        except MismatchError as exc:
            raise self.mismatch(node, shapes, exc) from None
        except SegkitError as exc:
            if isinstance(exc, ParamError):
                raise  # the resolver points it at the param (segkit/lang/resolver.py)
            raise located(exc, f"node {node.id!r} ({node.op}): {exc.message}", node.loc) from None
        except Exception as exc:  # a bug in a block's rule; still report it where it happened
            raise ShapeError(f"node {node.id!r} ({node.op}): shape rule failed: {type(exc).__name__}: {exc}",
                             node.loc, f"inputs were {', '.join(map(str, shapes))}") from None
        expected = tuple(node.block.output_names(node.params))
        if tuple(inference.outputs) != expected:
            raise ShapeError(f"node {node.id!r} ({node.op}): shape rule returned outputs "
                             f"{list(inference.outputs)}, expected {list(expected)}", node.loc)
        return inference

    def next_grid(self, node: Node, inference, shapes) -> Grid:
        out = inference.out
        grids = [self.grid(v) for v in node.inputs]
        grids = [g for g in grids if g is not None and len(g.jump) == out.rank]
        if not grids:
            return Grid.identity(out.rank)
        jump_in = grids[0].jump
        seen_all = any(g.rf is None and g.known for g in grids)
        known = seen_all or all(g.known for g in grids)
        rf_in = None if seen_all or not known else tuple(max(dims) for dims in zip(*(g.rf for g in grids)))
        geo = inference.geometry
        if geo is None or geo.global_:
            ratio = tuple(Fraction(a, b) for a, b in zip(shapes[0].spatial, out.spatial)) \
                if shapes and shapes[0].rank == out.rank else (Fraction(1),) * out.rank
            jump_out = tuple(j * r for j, r in zip(jump_in, ratio))
            if geo is None and not seen_all:
                return Grid(jump_out, None, known=False)
            return Grid(jump_out, None)
        if geo.like is not None:
            like = self.grid(node.inputs[geo.like])
            return Grid(like.jump, rf_in, known)
        jump = geo.jump or (Fraction(1),) * out.rank
        jump_out = tuple(a * b for a, b in zip(jump_in, jump))
        if rf_in is None or geo.kernel is None:
            return Grid(jump_out, rf_in, known)
        rf = tuple(int(r + (k - 1) * min(a, b)) for r, k, a, b in zip(rf_in, geo.kernel, jump_in, jump_out))
        return Grid(jump_out, rf)

    def mismatch(self, node: Node, shapes, exc: MismatchError) -> ShapeError:
        i, j = exc.pair
        names = node.meta.get("from_names") or [str(v) for v in node.inputs]
        name_i = names[i] if i < len(names) else str(node.inputs[i])
        name_j = names[j] if j < len(names) else str(node.inputs[j])
        message = (f"node {node.id!r} ({node.op}): {exc.message}:\n"
                   f"  {name_i!r} gives {shapes[i]} but {name_j!r} gives {shapes[j]} "
                   f"for {describe_inputs(self.input_shapes)}")
        error = ShapeError(message, node.loc, exc.hint)
        error.spatial = True
        return error


def located(exc: SegkitError, message: str, loc) -> SegkitError:
    """A copy of ``exc`` (same class and fields, whatever its constructor takes) with
    ``message`` and ``loc``."""
    new = copy.copy(exc)
    new.message, new.loc, new.args = message, loc, (message,)
    new.notes = list(exc.notes)
    return new


def infer(graph: Graph, input_shapes: dict[str, Shape], grids: bool = True, memo: dict | None = None) -> Graph:
    """Run the inference pass over ``graph`` for the given input shapes.

    ``grids=False`` skips stride / receptive-field bookkeeping, and ``memo`` caches each
    node's result by its input shapes: the size scan uses both, since it only needs
    validity and deep nodes see the same shapes for many candidate sizes.
    """
    analysis = Analysis(graph, input_shapes, grids, memo)
    for node in graph.nodes.values():
        analysis.run(node)
    return graph

"""The block contract: a name, a pydantic ``Params`` model, a torch-free shape rule and a
``build`` that returns a ``torch.nn.Module``.

A block is the unit a spec node calls. Its ``infer(p, *shapes)`` is pure integer
arithmetic and must be exact: tests compare it with PyTorch for random params and input
sizes. ``build(p, *shapes)`` imports torch lazily so that registering blocks and
checking specs never imports torch.

Inputs arrive as the node's ``from`` list followed by the nodes named in ``Ref``
params (``like: image`` for resize, ``indices: pool1`` for unpool), in field order.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict

from segkit.core.shape import Inference, Shape
from segkit.errors import MismatchError, ShapeError, SpecSchemaError


class Params(BaseModel):
    """Base of every block's params model: unknown keys are errors. A string under a
    field documents it (read on demand by :func:`segkit.core.field_docs.field_docs`);
    schemas are built at first validation, so a registry of many blocks loads fast."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


@dataclass(frozen=True)
class Ref:
    """Marks a params field whose value is a node reference, not a literal.

    ``output``: which named output of the referenced node to use when the reference
    names just a node (``indices: pool1`` -> ``pool1.indices``). ``source_input``: also
    pass the referenced node's first input (max-unpool needs the pre-pool size).
    """

    output: str | None = None
    source_input: bool = False


NodeRef = Annotated[str, Ref()]


@functools.cache
def ref_fields(params_model: type[BaseModel]) -> dict[str, Ref]:
    """The fields of ``params_model`` that hold node references (read once per model:
    every node that calls the block asks)."""
    found = {}
    for name, info in params_model.model_fields.items():
        for meta in info.metadata:
            if isinstance(meta, Ref):
                found[name] = meta
        annotation = info.annotation
        if get_origin(annotation) is Annotated:
            for meta in get_args(annotation)[1:]:
                if isinstance(meta, Ref):
                    found[name] = meta
        for arg in get_args(annotation):
            if get_origin(arg) is Annotated:
                for meta in get_args(arg)[1:]:
                    if isinstance(meta, Ref):
                        found[name] = meta
    return found


class Block:
    """Base class of Python blocks. Subclasses set ``name``, ``Params``, and implement
    ``infer`` and ``build``; the module docstring (or class docstring) cites the paper.

    ``arity`` is the (min, max) number of ``from`` inputs; max ``None`` means any.
    ``outputs`` names the outputs; the first is the default one. ``min_rank`` and
    ``max_rank`` bound the spatial rank of the first input; the inference pass enforces
    them. Optional ``Ref`` params left unset pass no input, so ``infer`` then receives
    fewer shapes. A block with one output returns a tensor; with several, a tuple in
    ``output_names`` order.
    """

    name: ClassVar[str] = ""
    Params: ClassVar[type[BaseModel]] = Params
    arity: ClassVar[tuple[int, int | None]] = (1, 1)
    outputs: ClassVar[tuple[str, ...]] = ("out",)
    min_rank: ClassVar[int] = 0
    max_rank: ClassVar[int | None] = None

    def output_names(self, p: Any) -> tuple[str, ...]:
        """Names of the outputs for params ``p`` (default: the class's ``outputs``)."""
        return self.outputs

    def infer(self, p: Any, *shapes: Shape) -> Inference:
        """Exact output shapes, params and MACs for inputs of ``shapes``."""
        raise NotImplementedError(f"block {self.name!r} has no shape rule")

    def build(self, p: Any, *shapes: Shape):
        """A ``torch.nn.Module`` computing the block for inputs of ``shapes``."""
        raise NotImplementedError(f"block {self.name!r} cannot be built")

    def spatial_rule(self, p: Any, *sizes):
        """The symbolic form of ``infer``'s spatial part, for deriving the input sizes a
        spec accepts: given each input's spatial sizes as ``segkit.core.size_algebra.Dim``s (exact
        functions of the analysed input size), a ``segkit.core.size_algebra.SpatialRule`` with each
        output's sizes and the ``SizeSet`` of input sizes the spatial checks of
        ``infer`` accept (checks on channels and params need not be repeated: the spec
        has passed them at its reference size). None (the default) means unknown; specs
        using the block then get their accepted sizes by trying sizes, up to a bound."""
        return None

    def call(self, p: Any):
        """For stateless blocks: ``(fn, kwargs)`` to call inline as ``fn(*inputs, **kwargs)``.

        The compiler then emits a plain function call instead of a submodule, so the
        generated code reads ``torch.cat([a, b], dim=1)`` and costs nothing extra. ``fn``
        must be an importable module-level function (``segkit.ops.functional``).
        Blocks returning ``None`` (the default) are built as modules.
        """
        return None

    @property
    def doc(self) -> str:
        return (type(self).__doc__ or "").strip()

    @property
    def source(self) -> str:
        return type(self).__module__


def expect(condition: bool, message: str, hint: str | None = None, param: str | None = None) -> None:
    """Raise an error unless ``condition``: with ``param``, a :class:`ParamError` that the
    resolver reports at that param's line in the spec (the node's line when the param is
    not written there); without, a ShapeError located at the node."""
    if not condition:
        if param is not None:
            raise ParamError(param, message, hint)
        raise ShapeError(message, hint=hint)


def per_dim(value, rank: int, name: str) -> tuple[int, ...]:
    """Expand an int or list param to one value per spatial dim."""
    if isinstance(value, (list, tuple)):
        if len(value) != rank:
            raise ShapeError(f"'{name}' has {len(value)} values but the input has {rank} spatial dims")
        return tuple(value)
    return (value,) * rank


class ParamError(SpecSchemaError):
    """A block param that does not fit the block's inputs, raised by ``Macro.validate`` or
    a block's ``infer``: the resolver reports it as ``param NAME of block BLOCK: message``
    at that param's line (at the node when the param is not written there)."""

    def __init__(self, param: str, message: str, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.param = param


def mismatch(i: int, j: int, what: str, hint: str | None = None) -> MismatchError:
    """The error for inputs ``i`` and ``j`` disagreeing on ``what`` ("spatial sizes differ")."""
    return MismatchError(what, (i, j), hint)


class Macro(Block):
    """A block written in Python that expands into a sub-spec instead of a module.

    Node-reference params (``Ref``) are resolved and passed as inputs after ``from``,
    as for Python blocks. ``expand(p, n_inputs)`` returns spec data (the dict a YAML spec file would hold,
    without ``params``), which the resolver expands like a YAML composite block. Use it
    where the structure depends on params in ways YAML cannot say, e.g. RefineNet's
    fusion over any number of input paths; shapes, params and MACs stay exact for free.
    """

    arity: ClassVar[tuple[int, int | None]] = (1, None)
    input_names: ClassVar[tuple[str, ...]] = ()
    """Names of the inputs in order, so ``from: {name: ref}`` can bind them by name;
    inputs not given are left out (a macro taking optional inputs)."""

    def validate(self, p: Any, *shapes: Shape) -> None:
        """Check params against the input shapes before expansion (``expand`` sees only
        the params): raise ``ParamError`` for a param that does not fit the inputs, e.g.
        a reduction larger than the channels, so the error names and locates that param
        instead of surfacing from an inner node. Accepts everything by default."""

    def expand(self, p: Any, n_inputs: int) -> dict:
        raise NotImplementedError(f"macro {self.name!r} has no expand()")

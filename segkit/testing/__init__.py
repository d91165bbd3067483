"""Test kit for block authors: check a block's static claims against PyTorch.

``check_block`` runs a block on random tensors and asserts that its ``infer`` is exact:
output shapes, parameter count and MACs (as ``torch.utils.flop_counter`` counts them).
``check_against_torch`` also accepts invalid params or inputs and asserts that ``infer``
rejects exactly what PyTorch rejects. ``check_claims`` checks the size rule, stride and
receptive field (:mod:`segkit.testing.claims`). ``check_compiles`` asserts that
``torch.compile(fullgraph=True)`` takes the block without a graph break, as segkit
promises for compiled specs. ``block_test`` is all of it in one line. The hypothesis
strategies draw small shapes and size params for property tests::

    @given(x=shapes(min_rank=1, max_rank=3), kernel=st.integers(1, 3))
    def test_conv(x, kernel):
        check_against_torch(Conv(), {"out": 4, "kernel": kernel}, x)
"""
from __future__ import annotations

import functools
from typing import Any

import torch
import torch._dynamo
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticUndefined
from torch.utils.flop_counter import FlopCounterMode

from segkit.core.block import Block, Ref
from segkit.core.shape import Inference, Shape
from segkit.errors import SegkitError
from segkit.plugins.manager import get_plugin_manager
from segkit.plugins.registry import Registry
from segkit.testing.claims import check_geometry, check_size_rule


def make_registry(*plugins, entry_points: bool = False, dist: str = "segkit-test") -> Registry:
    """A fresh registry, as tests should build one: segkit's built-in plugins, the
    installed ones too with ``entry_points``, and each of ``plugins`` (a hookimpl module
    or object, or a ``(name, plugin)`` pair) registered as distribution ``dist``."""
    manager = get_plugin_manager(load_entry_points=entry_points)
    for plugin in plugins:
        name, obj = plugin if isinstance(plugin, tuple) else (getattr(plugin, "__name__", None) or repr(plugin), plugin)
        manager.manager.register(obj, name=name)
        manager.dists[name] = dist
    return Registry.from_plugins(manager)


def as_params(block: Block, params: Any):
    """``params`` (a dict or a Params instance) validated by the block's Params model."""
    return params if isinstance(params, block.Params) else block.Params.model_validate(params or {})


def run_block(block: Block, params, *shapes: Shape, batch: int = 2,
              inputs: dict[int, torch.Tensor] | None = None) -> tuple[tuple[torch.Tensor, ...], int, int]:
    """Build (or ``call``) the block and run it once on random inputs of ``shapes``.

    ``inputs`` replaces the random tensor of the given input positions with real ones
    (e.g. the pooling indices and pre-pool tensor of unpool). Returns the outputs as a
    tuple, the number of module parameters and the FLOPs counted for the batch.
    """
    p = as_params(block, params)
    tensors = [torch.randn(batch, *s.as_tuple()) for s in shapes]
    for i, tensor in (inputs or {}).items():
        want = tuple(tensors[i].shape)
        assert tuple(tensor.shape) == want, f"inputs[{i}] has shape {tuple(tensor.shape)}, expected {want}"
        tensors[i] = tensor
    call = block.call(p)
    if call is not None:
        fn, kwargs = call
        run, n_params = (lambda *xs: fn(*xs, **kwargs)), 0
    else:
        run = block.build(p, *shapes)
        n_params = sum(t.numel() for t in run.parameters())
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        result = run(*tensors)
    outputs = (result,) if isinstance(result, torch.Tensor) else tuple(result)
    return outputs, n_params, counter.get_total_flops()


def assert_matches(block: Block, p, inference: Inference, outputs, n_params: int, flops: int, batch: int) -> None:
    """Assert that ``inference`` describes what running the block gave."""
    names = tuple(block.output_names(p))
    assert tuple(inference.outputs) == names, f"infer gave outputs {list(inference.outputs)}, expected {list(names)}"
    assert len(outputs) == len(names), f"the module returned {len(outputs)} outputs, expected {len(names)}"
    for name, tensor in zip(names, outputs):
        want = (batch, *inference.outputs[name].as_tuple())
        assert tuple(tensor.shape) == want, f"output {name!r}: torch gives {tuple(tensor.shape)}, infer {want}"
    assert inference.params == n_params, f"params: module has {n_params}, infer says {inference.params}"
    assert 2 * batch * inference.macs == flops, f"MACs: torch counts {flops / 2 / batch}, infer says {inference.macs}"


def check_block(block: Block | type[Block], params: Any, *shapes: Shape, batch: int = 2,
                inputs: dict[int, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    """Assert that ``block.infer`` is exact for ``params`` and inputs of ``shapes``.

    Checks every output's shape (``(batch, *shape)``), the parameter count (numel of
    ``module.parameters()``; zero for ``call`` blocks) and MACs (FlopCounterMode's
    FLOPs / 2 / batch). ``inputs`` maps input positions to real tensors to use instead
    of random ones. Returns the outputs by name.
    """
    block = block() if isinstance(block, type) else block
    p = as_params(block, params)
    inference = block.infer(p, *shapes)
    outputs, n_params, flops = run_block(block, p, *shapes, batch=batch, inputs=inputs)
    assert_matches(block, p, inference, outputs, n_params, flops, batch)
    return dict(zip(block.output_names(p), outputs))


def check_against_torch(block: Block | type[Block], params: Any, *shapes: Shape, batch: int = 2,
                        inputs: dict[int, torch.Tensor] | None = None) -> dict[str, torch.Tensor] | None:
    """Like ``check_block``, but for params and shapes that may be invalid: asserts that
    ``infer`` raises a SegkitError exactly when building or running in PyTorch raises
    or gives an empty output. Returns the outputs, or None when both reject the case."""
    block = block() if isinstance(block, type) else block
    p = as_params(block, params)
    try:
        inference = block.infer(p, *shapes)
    except SegkitError as exc:
        inference, rejected = None, exc
    try:
        outputs, n_params, flops = run_block(block, p, *shapes, batch=batch, inputs=inputs)
        if any(t.numel() == 0 for t in outputs):
            raise ValueError(f"empty output {[tuple(t.shape) for t in outputs]}")
    except (RuntimeError, ValueError, SegkitError) as exc:
        assert inference is None, f"infer accepts {p!r} on {', '.join(map(str, shapes))}, torch raises: {exc}"
        return None
    assert inference is not None, f"torch accepts {p!r} on {', '.join(map(str, shapes))}, infer raises: {rejected}"
    assert_matches(block, p, inference, outputs, n_params, flops, batch)
    return dict(zip(block.output_names(p), outputs))


def graph_breaks(fn, *inputs: torch.Tensor) -> list[str]:
    """Why ``torch.compile(fullgraph=True)`` cannot take ``fn`` (a module or function) on
    ``inputs`` as one graph: one line per graph break, empty when it can.

    dynamo's ``explain`` names most breaks; when it names none, ``fn`` is compiled with
    ``fullgraph=True`` and run, since some (a ``print`` in forward) only show there. The
    backend is ``aot_eager``: dynamo's capture and AOT autograd's tracing, without
    inductor's slow code generation. Errors other than graph breaks propagate."""
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(fn)(*inputs)
    breaks = [_reason(reason.reason) for reason in explanation.break_reasons]
    if not breaks:
        try:
            torch.compile(fn, fullgraph=True, backend="aot_eager")(*inputs)
        except torch._dynamo.exc.Unsupported as exc:
            breaks.append(_reason(exc))
    return breaks


def _reason(text) -> str:
    """dynamo's headline of a break, with its ``Explanation:`` line when it has one."""
    lines = [line.strip() for line in str(text).strip().splitlines()]
    why = next((line for line in lines if line.startswith("Explanation:")), None)
    head = lines[0] if lines else type(text).__name__
    return f"{head} ({why})" if why else head


def check_compiles(block: Block | type[Block], params: Any, *shapes: Shape, batch: int = 2) -> None:
    """Assert that the block (built, or its ``call`` function) compiles under
    ``torch.compile(fullgraph=True)`` on random inputs of ``shapes``, in eval mode."""
    block = block() if isinstance(block, type) else block
    p = as_params(block, params)
    tensors = [torch.randn(batch, *s.as_tuple()) for s in shapes]
    call = block.call(p)
    fn = functools.partial(call[0], **call[1]) if call is not None else block.build(p, *shapes).eval()
    with torch.no_grad():
        breaks = graph_breaks(fn, *tensors)
    assert not breaks, (f"torch.compile(fullgraph=True) would fail: {len(breaks)} graph break(s) in "
                        f"{block.name!r} with {p!r} on {', '.join(map(str, shapes))}: " + "; ".join(breaks))


def shapes(min_rank: int = 0, max_rank: int = 3, max_channels: int = 8, min_size: int = 1,
           max_size: int = 24, channels: int | None = None) -> st.SearchStrategy[Shape]:
    """Small input shapes: 1..max_channels channels (or exactly ``channels``) and
    min_rank..max_rank spatial dims of min_size..max_size."""
    chans = st.just(channels) if channels is not None else st.integers(1, max_channels)
    spatial = st.integers(min_rank, max_rank).flatmap(
        lambda rank: st.tuples(*[st.integers(min_size, max_size)] * rank))
    return st.builds(Shape, chans, spatial)


def sizes(rank: int, min_value: int = 1, max_value: int = 3) -> st.SearchStrategy[int | list[int]]:
    """A size param: one int, or a list of ``rank`` ints (per spatial dim)."""
    one = st.integers(min_value, max_value)
    return one | st.lists(one, min_size=rank, max_size=rank)


# -- strategies derived from a block's Params, and the one-line block test ------------

SMALL_INT = 4
"""Upper bound for drawn ints without an upper bound (keeps tensors small)."""


def _bounds(metadata) -> tuple[float | None, float | None]:
    lo = hi = None
    flat = []
    for meta in metadata:  # Field(ge=1) inside Annotated arrives as a FieldInfo
        flat.extend(getattr(meta, "metadata", None) or [meta])
    for meta in flat:
        for attr, strict in (("ge", False), ("gt", True)):
            value = getattr(meta, attr, None)
            if value is not None:
                lo = value + (1 if strict else 0)
        for attr, strict in (("le", False), ("lt", True)):
            value = getattr(meta, attr, None)
            if value is not None:
                hi = value - (1 if strict else 0)
    return lo, hi


def strategy_for(annotation, metadata=()) -> st.SearchStrategy | None:
    """A small-valued hypothesis strategy for a params field's type, or None (node
    references and types without an obvious small domain are left at their default)."""
    import types
    import typing

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        if any(isinstance(a, Ref) for a in args[1:]):
            return None
        return strategy_for(args[0], (*metadata, *args[1:]))
    if origin in (typing.Union, types.UnionType):
        options = [s for s in (strategy_for(a, metadata) for a in args) if s is not None]
        return st.one_of(*options) if options else None
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is list:
        item = strategy_for(args[0]) if args else None
        return st.lists(item, min_size=1, max_size=3) if item is not None else None
    if annotation is type(None):
        return st.none()
    if annotation is bool:
        return st.booleans()
    lo, hi = _bounds(metadata)
    if annotation is int:
        lo = 0 if lo is None else int(lo)
        return st.integers(lo, int(hi) if hi is not None else max(lo, 1) + SMALL_INT - 1)
    if annotation is float:
        lo = 0.0 if lo is None else float(lo)
        return st.floats(lo, float(hi) if hi is not None else lo + 1.0, allow_nan=False)
    return None


def params_strategy(block: Block | type[Block], **fields_given) -> st.SearchStrategy[dict]:
    """Dicts of params for ``block``: each field drawn from its type (or left at its
    default, sometimes), required fields always drawn. Keyword arguments replace a
    field's strategy: a hypothesis strategy, or a value to always use
    (``params_strategy(Conv, groups=1, kernel=st.sampled_from([1, 3]))``)."""
    block = block() if isinstance(block, type) else block
    unknown = set(fields_given) - set(block.Params.model_fields)
    if unknown:
        raise TypeError(f"{block.name!r} has no params {sorted(unknown)}")
    fields = {name: value if isinstance(value, st.SearchStrategy) else st.just(value)
              for name, value in fields_given.items()}
    for name, info in block.Params.model_fields.items():
        if name in fields:
            continue
        strategy = strategy_for(info.annotation, info.metadata)
        required = info.default is PydanticUndefined and info.default_factory is None
        if strategy is None:
            if required:
                raise TypeError(f"cannot derive a strategy for required param {name!r} of {block.name!r}; "
                                "pass params= to block_test")
            continue
        fields[name] = strategy if required else st.one_of(st.just(info.default), strategy)
    return st.fixed_dictionaries(fields)


def check_claims(block: Block | type[Block], params: Any, *shapes: Shape) -> None:
    """Assert the claims of ``infer`` beyond shapes, params and MACs for a case PyTorch
    accepts: the size rule (``spatial_rule``) accepts these sizes and gives the output
    sizes, and the declared geometry's stride and receptive field are what PyTorch
    computes (measured from the gradient support of an output pixel)."""
    block = block() if isinstance(block, type) else block
    p = as_params(block, params)
    inference = block.infer(p, *shapes)
    check_size_rule(block, p, shapes, inference)
    check_geometry(block, p, shapes, inference)


MIN_VALID = 0.5
"""The fraction of drawn cases that must be valid (accepted by PyTorch) for block_test to
pass: below it, most draws test only that both sides reject, and the claims go unchecked."""


def block_test(block: Block | type[Block], params: st.SearchStrategy[dict] | None = None,
               inputs: st.SearchStrategy | None = None, max_examples: int | None = None):
    """A ready pytest test for a block: ``test_my_block = block_test(MyBlock)``.

    Draws params (``params``: a strategy of dicts of param values, ``params_strategy``
    by default) and inputs (``inputs``: a strategy of lists of ``Shape``, one per input;
    by default one input of rank ``min_rank..max_rank``, sizes 4..16, from ``shapes``) and asserts,
    via ``check_against_torch``, that the block's static rule accepts exactly what
    PyTorch accepts and is exact there: output shapes, parameter count and MACs; and,
    via ``check_claims``, its size rule, stride and receptive field. It prints the
    fraction of drawn cases that were valid and fails below ``MIN_VALID`` (pass
    narrower strategies then). Then the first valid case goes through
    ``check_compiles`` (once: compiling takes seconds).
    """
    block = block() if isinstance(block, type) else block
    params = params if params is not None else params_strategy(block)
    if inputs is None:
        lo, hi = block.min_rank, block.max_rank if block.max_rank is not None else 3
        inputs = shapes(min_rank=max(lo, 1) if lo else 0, max_rank=min(hi, 3), min_size=4, max_size=16).map(
            lambda s: [s])
    accepted = []
    drawn = []
    warned = []  # a missing geometry is measured and warned about once, at a case that has a field

    @given(params=params, inputs=inputs)
    def matches_torch(params, inputs):
        drawn.append(1)
        try:
            p = as_params(block, params)
        except ValueError:  # pydantic rejects the combination: nothing to compare
            return
        if check_against_torch(block, p, *inputs) is None:
            return
        inference = block.infer(p, *inputs)
        check_size_rule(block, p, tuple(inputs), inference)
        if inference.geometry is not None or not warned:
            check_geometry(block, p, tuple(inputs), inference)
            if inference.geometry is None and 0 < inputs[0].rank == inference.out.rank:
                warned.append(True)
        accepted.append((p, inputs))

    # torch's first calls are slow, so no per-example deadline; the profile's example
    # count applies unless max_examples is given
    options = {"deadline": None} if max_examples is None else {"deadline": None, "max_examples": max_examples}
    matches_torch = settings(**options)(matches_torch)

    def test():
        accepted.clear()
        drawn.clear()
        warned.clear()
        matches_torch()
        valid = len(accepted) / max(len(drawn), 1)
        print(f"block_test({block.name!r}): {len(accepted)} of {len(drawn)} drawn cases were valid ({valid:.0%})")
        assert valid >= MIN_VALID, (
            f"only {len(accepted)} of {len(drawn)} drawn cases of {block.name!r} were valid ({valid:.0%}), "
            f"so its claims were barely checked: pass block_test(..., params=..., inputs=...) strategies that "
            f"draw mostly valid cases (e.g. channels divisible by a reduction param: "
            f"inputs=segkit.testing.shapes(channels=16).map(lambda s: [s]))")
        p, case = accepted[0]
        check_compiles(block, p, *case)

    test.__name__ = f"test_{block.name}_matches_torch"
    return test

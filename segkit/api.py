"""The Python API behind ``segkit.check`` and ``segkit.build``."""
from __future__ import annotations

from segkit.errors import InputError, SegkitError, ShapeError, SourceLoc
from segkit.ir import Graph
from segkit.report import Report, make_report
from segkit.shapes import Shape
from segkit.spec.resolve import Resolver
from segkit.spec.schema import Spec, load_spec


def parse_inputs(spec: Spec, input) -> dict[str, Shape]:
    """``input`` as a Shape, "3x512x512", or a dict of those by input name."""
    if input is None:
        return {}
    if not isinstance(input, dict):
        if len(spec.inputs) != 1:
            raise InputError(f"spec {spec.name!r} has inputs {', '.join(spec.inputs)}; give one size per input",
                             SourceLoc("--input"), "e.g. --input rgb=3x352x352 --input depth=1x352x352")
        input = {next(iter(spec.inputs)): input}
    shapes = {}
    for name, value in input.items():
        if isinstance(value, Shape):
            shapes[name] = value
            continue
        try:
            shapes[name] = Shape.parse(value)
        except ValueError as exc:
            raise InputError(str(exc), SourceLoc("--input"), "sizes look like 3x512x512 (channels x H x W)") from None
    return shapes


def resolve(spec, input=None, registry=None, *, train_heads: bool = True, **params) -> Graph:
    """Load and resolve ``spec`` (path, YAML text, registered name or Spec) into an
    inferred graph; ``train_heads=False`` drops training-only outputs (aux heads)."""
    spec = load_spec(spec, registry)
    shapes = parse_inputs(spec, input)
    try:
        return Resolver(registry).resolve(spec, params, shapes, SourceLoc("--set"), train_heads)
    except ShapeError as exc:
        if shapes:
            hint = size_hint(spec, params, shapes, registry)
            if hint:
                exc.hint = hint
        raise


def size_hint(spec: Spec, params: dict, shapes: dict[str, Shape], registry) -> str | None:
    """When ``shapes`` fail but the spec's example size works: which sizes it accepts,
    and the nearest accepted input to try."""
    from segkit.sizes import accepted_sizes, describe

    try:
        graph = Resolver(registry).resolve(spec, params, {}, SourceLoc("--set"))
    except SegkitError:
        return None
    reference = {name: m["shapes"]["out"] for name, m in graph.input_meta.items()}
    rules = accepted_sizes(graph, reference)
    first = next(iter(shapes.values()))
    if any(rule.minimum is None for rule in rules) or len(rules) != first.rank:
        return None
    fixed = [rule.examples(size, 1)[0] for rule, size in zip(rules, first.spatial)]
    if tuple(fixed) == first.spatial:  # the size is fine; the block's own hint says more
        return None
    suggestion = "x".join(map(str, (first.channels, *fixed)))
    return f"this spec accepts {describe(rules)}; try --input {suggestion}"


def check(spec, input=None, registry=None, *, train_heads: bool = True, **params) -> Report:
    """Validate ``spec`` and infer every node, without torch; returns the per-node Report
    (shapes, stride, receptive field, params, MACs, accepted input sizes)."""
    graph = resolve(spec, input, registry, train_heads=train_heads, **params)
    return make_report(graph, {name: m["shapes"]["out"] for name, m in graph.input_meta.items()})


def build(spec, input=None, registry=None, *, train_heads: bool = True, **params):
    """Compile ``spec`` into a ``torch.fx.GraphModule`` (a ``torch.nn.Module``).

    Training-only outputs (``train: true``) are returned in training mode only; with
    ``train_heads=False`` they, and the nodes only they use, are not built at all.
    """
    from segkit.compile import compile_graph

    return compile_graph(resolve(spec, input, registry, train_heads=train_heads, **params))

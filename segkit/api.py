"""The Python API: what ``import segkit`` offers (``check``, ``resolve``, ``build``,
``build_for_inference``, ``export``, ``load_spec``, ``load_weights``) and the one place
that supplies the default registry, the installed plugins' (every stage below takes a
registry argument instead).

Torch is imported only inside the functions that build modules or load weights, so that
``segkit check`` stays torch-free.
"""
# torch: export imports segkit.export.exporters (and so torch) inside the function.
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from segkit.analysis.accepted import accepted_sizes
from segkit.analysis.report import Report, make_report
from segkit.analysis.size_rule import describe
from segkit.compiler.codegen import compile_graph
from segkit.core.graph import Graph
from segkit.core.shape import Shape
from segkit.errors import InputError, SegkitError, ShapeError, SourceLoc
from segkit.export.arguments import check_dynamic_form, export_format, export_opset, onnx_available
from segkit.export.dynamic_lint import check_dynamic
from segkit.export.lint import check_export
from segkit.lang import schema
from segkit.lang.resolver import Resolver
from segkit.lang.schema import Spec
from segkit.plugins.manager import get_plugin_manager
from segkit.plugins.registry import Registry
from segkit.weights import loading


@functools.lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry of this process's installed plugins, built on first use; what every
    API function uses when given no ``registry``."""
    return fresh_registry()


def fresh_registry(load_entry_points: bool = True) -> Registry:
    """A new registry from a new plugin manager: the built-ins, plus the installed
    plugins (``SEGKIT_PLUGINS`` allow-lists them) unless ``load_entry_points`` is False."""
    return Registry.from_plugins(get_plugin_manager(load_entry_points))


def load_spec(spec, registry: Registry | None = None) -> Spec:
    """Load ``spec`` (a path, YAML text, or a registered spec name), merging ``extends``."""
    return schema.load_spec(spec, registry or default_registry())


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


def resolve(spec, input=None, registry: Registry | None = None, *, train_heads: bool = True,
            size_option: str = "--input", **params) -> Graph:
    """Load and resolve ``spec`` (path, YAML text, registered name or Spec) into an
    inferred graph; ``train_heads=False`` drops training-only outputs (aux heads).
    ``size_option`` is the option the caller's user gave the size with, which the hint
    for a rejected size names (``segkit train`` passes ``--crop``)."""
    registry = registry or default_registry()
    spec = load_spec(spec, registry)
    shapes = parse_inputs(spec, input)
    try:
        return Resolver(registry).resolve(spec, params, shapes, SourceLoc("--set"), train_heads)
    except ShapeError as exc:
        if shapes:
            hint = size_hint(spec, params, shapes, registry, size_option)
            if hint:
                exc.hint = hint
        raise


def size_hint(spec: Spec, params: dict, shapes: dict[str, Shape], registry: Registry,
              option: str = "--input") -> str | None:
    """When ``shapes`` fail but the spec's example size works: which sizes it accepts,
    and the nearest accepted size to try with ``option`` (``--input`` takes CxHxW, any
    other option, such as ``--crop``, the spatial sizes only)."""
    try:
        graph = Resolver(registry).resolve(spec, params, {}, SourceLoc("--set"))
    except SegkitError:
        return None
    rules = accepted_sizes(graph, graph.input_shapes)
    first = next(iter(shapes.values()))
    if any(rule.minimum is None for rule in rules) or len(rules) != first.rank:
        return None
    fixed = [rule.examples(size, 1)[0] for rule, size in zip(rules, first.spatial)]
    if tuple(fixed) == first.spatial:  # the size is fine; the block's own hint says more
        return None
    suggestion = "x".join(map(str, (first.channels, *fixed) if option == "--input" else fixed))
    return f"this spec accepts {describe(rules)}; try {option} {suggestion}"


def check(spec, input=None, registry: Registry | None = None, *, train_heads: bool = True,
          size_option: str = "--input", **params) -> Report:
    """Validate ``spec`` and infer every node, without torch; returns the per-node Report
    (shapes, stride, receptive field, params, MACs, accepted input sizes). ``size_option``:
    see :func:`resolve`."""
    graph = resolve(spec, input, registry, train_heads=train_heads, size_option=size_option, **params)
    return make_report(graph, graph.input_shapes)


def build(spec, input=None, registry: Registry | None = None, *, train_heads: bool = True, **params):
    """Compile ``spec`` into a ``torch.fx.GraphModule`` (a ``torch.nn.Module``).

    Training-only outputs (``train: true``) are returned in training mode only; with
    ``train_heads=False`` they, and the nodes only they use, are not built at all.
    """
    return compile_graph(resolve(spec, input, registry, train_heads=train_heads, **params))


def load_weights(model, source, format="segkit", strict: bool = True, *, ignore=(),
                 registry: Registry | None = None, source_name: str | None = None) -> loading.LoadReport:
    """Load ``source`` (a file, a state dict, or a module) into ``model`` through the
    weight ``format``; see :func:`segkit.weights.loading.load_weights`."""
    return loading.load_weights(model, source, format, strict, ignore=ignore, registry=registry or default_registry(),
                                source_name=source_name)


@dataclass
class InferenceModel:
    """What :func:`build_for_inference` gives: the module (eval mode), the report of the
    inference graph it was built from, and what loading the weights did (None without)."""

    model: Any
    report: Report
    loaded: loading.LoadReport | None


def build_for_inference(spec, input=None, registry: Registry | None = None, *, weights=None,
                        weights_format="segkit", source_name: str | None = None, **params) -> InferenceModel:
    """Build ``spec`` for inference, without its training-only outputs and the nodes only
    they use, and load ``weights`` into it (a file, a state dict or a checkpoint, in
    ``weights_format``). Weights saved with the training-only heads load: exactly the
    keys of the left-out nodes are skipped, and every other key must fit. The one path
    by which ``segkit build --inference``, ``export``, ``eval`` and ``predict`` get a
    model with weights."""
    registry = registry or default_registry()
    spec = load_spec(spec, registry)
    report = check(spec, input, registry, train_heads=False, **params)
    model = compile_graph(report.graph)
    loaded = None
    if weights is not None:
        full = resolve(spec, input, registry, **params)
        left_out = [f"{node}.*" for node in full.nodes if node not in report.graph.nodes]
        loaded = load_weights(model, weights, weights_format, ignore=left_out, registry=registry,
                              source_name=source_name)
    return InferenceModel(model.eval(), report, loaded)


def export(spec, path, *, format: str | None = None, input=None, dynamic: bool = False, weights=None,
           weights_format: str = "segkit", opset: int | None = None, batch: int = 1, fold_bn: bool = False,
           tolerance: float | None = 1e-4, registry: Registry | None = None, **params):
    """Export ``spec`` for inference (eval mode, without training-only heads) to ``path``
    and check the written file against PyTorch on random inputs (ONNX: in onnxruntime);
    what ``segkit export`` does. Returns the
    :class:`~segkit.export.exporters.ExportResult`: ``path``, ``format``, ``rule`` /
    ``rules`` (the accepted sizes a dynamic file takes, as stored in it), ``sizes`` (the
    sizes it was checked at), ``max_abs_diff``, the lint's ``warnings``.

    ``format``: ``onnx``, ``torchscript`` or ``exported-program`` (default: from the
    suffix of ``path``: .onnx, .ts, .pt2). ``input``: the example size (default: the
    spec's). ``dynamic``: one file for every input size the spec accepts (onnx,
    exported-program), checked at three or more of them. ``weights`` (in
    ``weights_format``) are loaded first; ``fold_bn`` folds BatchNorm into the
    convolutions before it; ``opset`` is ONNX's (default 17); ``batch`` is the example's
    batch; ``tolerance`` the largest difference from PyTorch accepted (None: any).

    Bad arguments, and specs the export lint refuses (each node that will not export,
    or keeps the file to one size, named with the reason and a fix), raise SegkitError
    before torch is imported; a file that does not reproduce PyTorch raises
    ExportCheckError and is not written. ``segkit.export`` (the package) is this
    function when called.
    """
    fmt = export_format(format, path)
    opset = export_opset(opset, fmt)
    if dynamic:
        check_dynamic_form(fmt)
    if fmt == "onnx":
        onnx_available()
    registry = registry or default_registry()
    spec = load_spec(spec, registry)
    report = check(spec, input, registry, train_heads=False, **params)
    graph = report.graph
    if dynamic:  # first: its reasons (and fixes) are about every size, the plain lint's about the example's
        check_dynamic(graph, fmt)
    warnings = check_export(graph, fmt, opset)

    import torch

    from segkit.compiler.fold_bn import count_bn
    from segkit.compiler.fold_bn import fold_bn as fold
    from segkit.export.exporters import export_model

    model = build_for_inference(spec, graph.input_shapes, registry, weights=weights, weights_format=weights_format,
                                **params).model
    folded = None
    if fold_bn:
        before = count_bn(model)
        model = fold(model, inplace=True)
        folded = (before - count_bn(model), before)
    generator = torch.Generator().manual_seed(0)
    example = {name: torch.randn((batch, *shape.as_tuple()), generator=generator)
               for name, shape in graph.input_shapes.items()}
    check_batch = 2 if fmt == "onnx" and batch == 1 else batch
    result = export_model(model, example, fmt, path, opset=opset, check_batch=check_batch, tolerance=tolerance,
                          dynamic=report.accepted_sizes if dynamic else None)
    result.warnings, result.folded_bn = warnings, folded
    return result

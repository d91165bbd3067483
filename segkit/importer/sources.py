"""The models ``segkit import SOURCE`` takes: ``timm:NAME`` (timm's fx feature extractor,
``features_only=True, feature_cls="fx"``), ``torchvision:NAME`` (the stage output at
each stride, see :func:`feature_maps`; the classifier left out) and ``module.path:factory`` (the module the factory
returns, as it is). ``--from-weights`` loads that library's checkpoint file first.
Imports torch inside functions only, so that the CLI, and so ``segkit check``, stays torch-free."""
from __future__ import annotations

import importlib
import os
import sys

from segkit.errors import InputError, SourceLoc
from segkit.importer.strides import nominal_stride
from segkit.importer.timm_features import timm_features

# torch (and timm, torchvision) is imported inside functions, so that the CLI, and so `segkit check`, stays torch-free.


def load_source(source: str, weights: str | None = None, input_size: tuple[int, ...] = (224, 224)):
    """The module ``source`` names, with ``weights`` (a checkpoint of its library) loaded."""
    kind, _, name = source.partition(":")
    if not name:
        raise InputError(f"source {source!r} names no model", SourceLoc("SOURCE"),
                         "give timm:NAME, torchvision:NAME or module.path:factory")
    try:
        if kind == "timm":
            return _timm(name, weights)
        if kind == "torchvision":
            return feature_maps(_with_weights(_torchvision(name), weights), input_size)
        if os.getcwd() not in sys.path:  # module.path is found from the working directory, as with python -m
            sys.path.insert(0, os.getcwd())
        module = importlib.import_module(kind)
    except (ImportError, ValueError, RuntimeError, KeyError) as exc:
        raise InputError(f"cannot create {source!r}: {type(exc).__name__}: {exc}", SourceLoc("SOURCE")) from None
    factory = getattr(module, name, None)
    if not callable(factory):
        raise InputError(f"module {kind!r} has no factory {name!r}", SourceLoc("SOURCE"))
    return _with_weights(factory(), weights)


def _timm(name: str, weights: str | None):
    """timm's fx feature extractor of ``name``. A checkpoint is first loaded strictly into
    the whole classifier (timm loads a features model's weights leniently: a file that
    fits nothing would leave it random without a word), then handed over through timm's
    own pretrained path, which drops the classifier as it does for timm's published weights."""
    import timm

    if not weights:
        return timm_features(name, pretrained=False)
    whole = _with_weights(timm.create_model(name, pretrained=False), weights, timm.models.load_state_dict)
    return timm_features(name, pretrained=True, pretrained_cfg_overlay={"state_dict": whole.state_dict()})


def _torchvision(name: str):
    import torchvision

    return torchvision.models.get_model(name, weights=None)


def _read_state_dict(weights: str):
    """The state dict in the file ``weights`` (``torch.save``'d, plain tensors only),
    unwrapped from a training checkpoint's ``state_dict`` entry."""
    import torch

    state = torch.load(weights, map_location="cpu", weights_only=True)
    return state.get("state_dict", state) if isinstance(state, dict) else state


def _with_weights(module, weights: str | None, read=_read_state_dict):
    """``module`` with the checkpoint file ``weights`` (read by ``read``) loaded strictly; a
    file that is no state dict, or whose keys or shapes do not fit, is an InputError."""
    if not weights:
        return module
    loc, kind = SourceLoc("--from-weights"), type(module).__name__
    try:
        state = read(weights)
    except Exception as exc:  # noqa: BLE001 - a file torch cannot read is the user's input, whatever it raises
        raise InputError(f"cannot read {weights!r} as a checkpoint ({type(exc).__name__})", loc,
                         "give a state dict saved with torch.save(model.state_dict(), FILE)") from None
    if not isinstance(state, dict):
        raise InputError(f"{weights!r} holds a {type(state).__name__}, not a state dict", loc)
    try:
        result = module.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # keys that fit with tensors of other shapes
        raise InputError(f"{weights!r} does not fit {kind}: {_first_problem(exc)}", loc) from None
    if result.missing_keys or result.unexpected_keys:
        wrong = [_keys(keys, what) for keys, what in ((result.missing_keys, "missing"),
                                                      (result.unexpected_keys, "unexpected")) if keys]
        raise InputError(f"{weights!r} does not fit {kind}: {', '.join(wrong)}", loc,
                         f"give a state dict of the source model itself (that library's checkpoint of {kind})")
    return module


def _keys(keys: list[str], what: str) -> str:
    """``3 missing keys (a, b, c)``, at most three named."""
    shown = ", ".join(keys[:3]) + (", ..." if len(keys) > 3 else "")
    return f"{len(keys)} {what} key{'s' if len(keys) > 1 else ''} ({shown})"


def _first_problem(exc: RuntimeError) -> str:
    """The first line of torch's load_state_dict error that names a tensor."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[1] if len(lines) > 1 else lines[0]


def feature_maps(module, input_size: tuple[int, ...]):
    """A GraphModule returning, for each stride of ``module``'s maps, its stage output
    there: a map at that stride that everything after it is computed from (a cut of the
    graph, so not the first conv of the next stage when that stage's shortcut reads the
    map before it, as in ResNet-50), among those the one that ends the outermost module
    (a stage or block of the model's own structure, not the expansion conv at the start
    of the next block, as in MobileNets), the last of those; or the last map at that
    stride where there is no cut (parallel branches, as in HRNet). Global pooling and the
    classifier after it are left out."""
    import torch
    import torch.fx

    from segkit.importer.trace import propagate, shape_of, trace

    gm = trace(module)
    propagate(gm, torch.randn(1, 3, *input_size))
    cuts = _cuts(gm.graph)
    depth = _ending_depths(gm.graph)
    last: dict[int, torch.fx.Node] = {}
    last_cut: dict[int, torch.fx.Node] = {}
    for node in gm.graph.nodes:
        shape = shape_of(node)
        if node.op in ("placeholder", "output") or shape is None or len(shape) != 2 + len(input_size):
            continue
        spatial = tuple(shape[2:])
        stride = None if all(s == 1 for s in spatial) else nominal_stride(input_size, spatial)
        if stride is not None and stride > 1:
            last[stride] = node
            if node in cuts and (stride not in last_cut or depth[node] <= depth[last_cut[stride]]):
                last_cut[stride] = node
    last.update(last_cut)
    if not last:
        raise InputError(f"{type(module).__name__} has no feature map at a stride of the input at "
                         f"{'x'.join(map(str, input_size))}", SourceLoc("--input"),
                         "a segmentation encoder downsamples its input; import a module that returns its maps "
                         "(module.path:factory) or try a larger --input")
    graph = gm.graph
    output = next(n for n in graph.nodes if n.op == "output")
    graph.erase_node(output)
    graph.output(tuple(last[s] for s in sorted(last)))
    graph.eliminate_dead_code()
    return torch.fx.GraphModule(gm, graph, type(module).__name__)


def _ending_depths(graph) -> dict:
    """For each node, the depth of the outermost submodule whose computation it ends
    (``layer1`` 1, ``features.3`` 2; from fx's ``nn_module_stack``); 0 for a step of the
    model's own forward (no module around it), and a depth beyond any for a node inside
    a module that goes on after it."""
    nodes = list(graph.nodes)
    depths = {}
    for node, after in zip(nodes, nodes[1:] + [None]):
        stack = node.meta.get("nn_module_stack") or {}
        later = (after.meta.get("nn_module_stack") or {}) if after is not None else {}
        ended = [path for path in stack if path not in later]
        depths[node] = 0 if not stack else min((path.count(".") + 1 for path in ended), default=1 << 30)
    return depths


def _cuts(graph) -> set:
    """The nodes computed from the input that every later use of an earlier such value
    goes through: no value made before the node is read after it (in the graph's
    topological order), except by the node's own readers."""
    order = {node: i for i, node in enumerate(graph.nodes)}
    from_input, cuts, reach = set(), set(), -1
    for node in graph.nodes:
        if node.op == "output":
            break
        if node.op == "placeholder" or any(arg in from_input for arg in node.all_input_nodes):
            from_input.add(node)
            if reach <= order[node]:
                cuts.add(node)
            reach = max([reach, *(order[user] for user in node.users)])
    return cuts

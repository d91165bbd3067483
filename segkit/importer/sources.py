"""The models ``segkit import SOURCE`` takes: ``timm:NAME`` (timm's fx feature extractor,
``features_only=True, feature_cls="fx"``), ``torchvision:NAME`` (the last map at each
stride, the classifier left out) and ``module.path:factory`` (the module the factory
returns, as it is). ``--from-weights`` loads that library's checkpoint file first.
Imports torch inside functions only, so that the CLI, and so ``segkit check``, stays torch-free."""
from __future__ import annotations

import importlib
import os
import sys

from segkit.errors import InputError, SourceLoc

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
    import timm

    overlay = {"pretrained_cfg_overlay": {"file": weights}} if weights else {}
    return timm.create_model(name, features_only=True, feature_cls="fx", pretrained=bool(weights), **overlay)


def _torchvision(name: str):
    import torchvision

    return torchvision.models.get_model(name, weights=None)


def _with_weights(module, weights: str | None):
    if weights:
        import torch

        state = torch.load(weights, map_location="cpu", weights_only=True)
        module.load_state_dict(state.get("state_dict", state) if isinstance(state, dict) else state)
    return module


def feature_maps(module, input_size: tuple[int, ...]):
    """A GraphModule returning, for each stride of ``module``'s maps, the last map at that
    stride (the stage outputs a segmentation head takes); global pooling and the
    classifier after it are left out."""
    import torch
    import torch.fx

    from segkit.importer.trace import propagate, shape_of, trace

    gm = trace(module)
    propagate(gm, torch.randn(1, 3, *input_size))
    last: dict[int, torch.fx.Node] = {}
    for node in gm.graph.nodes:
        shape = shape_of(node)
        if node.op in ("placeholder", "output") or shape is None or len(shape) != 2 + len(input_size):
            continue
        spatial = shape[2:]
        if all(s == 1 for s in spatial) or any(n % s for n, s in zip(input_size, spatial)):
            continue
        strides = {n // s for n, s in zip(input_size, spatial)}
        if len(strides) == 1 and strides != {1}:
            last[strides.pop()] = node
    graph = gm.graph
    output = next(n for n in graph.nodes if n.op == "output")
    graph.erase_node(output)
    graph.output(tuple(last[s] for s in sorted(last)))
    graph.eliminate_dead_code()
    return torch.fx.GraphModule(gm, graph, type(module).__name__)

"""``disagreements``: where the four answers to "does this spec take inputs of this
size?" differ: the accepted-size rule of the report at the example size, ``check`` at
the size, a module freshly built at the size (it must run and give the checked output
shapes) and one module built once at the example size (it must run exactly where the
rule accepts, with the shapes ``check`` gives)."""
from __future__ import annotations

import itertools

import torch
import yaml

import segkit
from segkit.compiler.outputs import flatten_outputs


def with_example_size(text: str, size) -> str:
    """The spec ``text`` with its input's example size set to ``size``."""
    spec = yaml.safe_load(text)
    spec["inputs"]["x"]["size"] = size
    return yaml.safe_dump(spec, sort_keys=False)


def sizes_to_try(rank: int, limit: int):
    """Every size 1..limit: lengths for rank 1, every (H, W) pair for rank 2."""
    return [tuple(p) for p in itertools.product(range(1, limit + 1), repeat=rank)]


def _runs(model, channels: int, spatial) -> list | None:
    """The output shapes of ``model`` on one input (batch 1, eval), or None if it raises."""
    try:
        with torch.no_grad():
            return [tuple(t.shape[1:]) for t in flatten_outputs(model(torch.randn(1, channels, *spatial)))]
    except (RuntimeError, ValueError, IndexError):
        return None


def disagreements(text: str, registry, sizes) -> list[str]:
    """Each size of ``sizes`` at which the rule, ``check``, a fresh build and the build
    at the example size do not all agree (empty when the example size itself fails)."""
    try:
        report = segkit.check(text, registry=registry)
    except segkit.SegkitError:
        return []
    rules = report.accepted_sizes
    channels = next(iter(report.input_shapes.values())).channels
    once = segkit.build(text, registry=registry).eval()
    found = []
    for spatial in sizes:
        claim = rules.accepts(spatial)
        shape = "x".join(map(str, (channels, *spatial)))
        try:
            checked = segkit.check(text, input=shape, registry=registry)
            static = [s.as_tuple() for s in checked.outputs.values()]
        except segkit.SegkitError:
            static = None
        fresh = None if static is None else _runs(segkit.build(text, input=shape, registry=registry).eval(),
                                                   channels, spatial)
        built_once = _runs(once, channels, spatial)
        if not (claim == (static is not None) and fresh == static and built_once == static):
            found.append(f"{spatial}: rule {claim}, check {static}, fresh build {fresh}, built once {built_once}")
    return found

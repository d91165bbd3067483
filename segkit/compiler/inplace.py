"""The compiler's in-place pass: ReLUs and sums write into their input where nothing
else reads it, as hand-written networks do (torchvision's ``nn.ReLU(inplace=True)`` and
``out += identity``).

Why: on CPU every fresh activation is a new large buffer, which the allocator maps and
the kernel page-faults in; writing into a buffer that is dead anyway saves that, and it
is what made compiled specs 2-5 % slower than torchvision's ResNets before this pass
(benchmarks/bench_vs_reference.py). It changes no value the module returns; but a
forward hook on a conv or BN submodule whose output a following ReLU or sum overwrites
keeps a tensor that then holds the ReLU's (or sum's) result, exactly as with
torchvision's in-place ReLUs: hooks that keep activations (feature extraction,
debugging) should keep ``output.clone()``.

When it is safe, also under autograd: the overwritten tensor has exactly one reader (the
ReLU or sum itself; a graph output counts as a reader), and it was produced by an op whose
backward does not need its own output (convolutions, batch and group norm, linear layers,
sums, concatenation, interpolation). ReLU's backward needs ReLU's output, so a sum is never
written into a ReLU's output; a graph input is never overwritten. Only ReLU and ReLU6 are
made in-place: their backward reads their output, which stays intact.
"""
from __future__ import annotations

import torch.fx
import torch.nn as nn

from segkit.ops import functional

SAFE_MODULES = (nn.modules.conv._ConvNd, nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.Linear)
"""Modules whose backward does not read their output (so it may be overwritten)."""
SAFE_FUNCTIONS = (functional.add, functional.add_into, functional.concat, functional.resize)
"""Inline functions whose backward does not read their output."""
INPLACE_ACTIVATIONS = (nn.ReLU, nn.ReLU6)
"""Activations made in-place: their backward reads only their own output."""


def make_inplace(graph: torch.fx.Graph, modules: dict[str, nn.Module]) -> None:
    """Rewrite ``graph`` (and its ``modules``, keyed by target) in place: every ReLU/ReLU6
    module and every ``add`` whose first input may be overwritten (see the module doc)
    becomes in-place. The decision reads no shape, so it holds at every input size: a
    sum whose first input is smaller than the sum at some size (broadcasting) adds out
    of place there, at run time (``functional.add_into``)."""
    for node in graph.nodes:
        if node.op == "call_module" and isinstance(modules.get(node.target), INPLACE_ACTIVATIONS):
            if _overwritable(node.args[0], modules):
                modules[node.target].inplace = True
        elif node.op == "call_function" and node.target is functional.add and _overwritable(node.args[0], modules):
            node.target = functional.add_into


def _overwritable(node, modules) -> bool:
    if not isinstance(node, torch.fx.Node) or len(node.users) != 1:
        return False
    if node.op == "call_module":
        return isinstance(modules.get(node.target), SAFE_MODULES)
    return node.op == "call_function" and node.target in SAFE_FUNCTIONS

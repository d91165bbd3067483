"""The block contract test kit: a ``Case`` per registered block, run through a one-node
spec so Python blocks, YAML composites and macros are checked the same way.

Each block family's ``cases_<family>.py`` defines ``CASES = {name: Case(...)}``;
``test_contract.py`` requires a case, with at least one fixed form, for every
registered block.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import yaml
from hypothesis import strategies as st
from torch.fx.passes.shape_prop import ShapeProp
from torch.utils.flop_counter import FlopCounterMode

import segkit
from segkit import testing
from segkit.api import default_registry
from segkit.compiler.codegen import compile_graph
from segkit.core.block import Macro
from segkit.lang.composite import CompositeBlock

Form = tuple[dict, list[segkit.Shape]]
"""One fixed call of a block: its params and its input shapes."""


@dataclass
class Case:
    """How to exercise one block: strategies for its params (a dict) and its inputs
    (a list of Shapes) for the property tests, and ``forms``, fixed examples by name,
    one per form of the block (ENet's five bottleneck kinds, ASPP v2 / v3 / separable,
    ...), which every run compiles under ``torch.compile(fullgraph=True)`` and trains
    through forward and backward, so no form is left to a random draw."""

    params: st.SearchStrategy[dict]
    inputs: st.SearchStrategy[list]
    forms: dict[str, Form] = field(default_factory=dict)
    prelude: dict = field(default_factory=dict)
    """Nodes placed before the block's node (e.g. the maxpool an unpool refers to)."""
    sources: list | None = None
    """The block node's ``from``; default: every input x0..xn."""


def sq(channels: int, size: int, rank: int = 2) -> segkit.Shape:
    """A ``channels`` x ``size`` x ... x ``size`` shape with ``rank`` spatial dims."""
    return segkit.Shape(channels, (size,) * rank)


def one_node_spec(block: str, params: dict, shapes: list[segkit.Shape], case: Case | None = None) -> str:
    """A spec whose node ``node`` calls ``block`` on inputs x0..xn (after the case's prelude)."""
    inputs = {f"x{k}": {"channels": s.channels, "rank": s.rank} for k, s in enumerate(shapes)}
    sources = case.sources if case and case.sources is not None else list(inputs)
    nodes = dict(case.prelude) if case else {}
    nodes["node"] = {"block": block, "from": sources, **params}
    outputs = {name: f"node.{name}" for name in output_names(block, params, len(sources))}
    return yaml.safe_dump({"segkit": 1, "name": f"contract-{block}", "inputs": inputs,
                           "nodes": nodes, "outputs": outputs}, sort_keys=False)


def output_names(name: str, params: dict, n_inputs: int) -> list[str]:
    """The output names of block ``name`` called with ``params``."""
    block = default_registry().block(name)
    if isinstance(block, CompositeBlock):
        return list(block.spec.outputs)
    try:
        p = block.Params(**params)
    except ValueError:
        return ["out"]
    if isinstance(block, Macro):
        return list(block.expand(p, n_inputs)["outputs"])
    return list(block.output_names(p))


def resolve_case(block: str, params: dict, shapes: list[segkit.Shape], case: Case | None = None):
    text = one_node_spec(block, params, shapes, case)
    return segkit.check(text, input={f"x{k}": s for k, s in enumerate(shapes)})


def check_against_torch(block: str, params: dict, shapes: list[segkit.Shape], case: Case | None = None,
                        batch: int = 2) -> None:
    """Static shapes of every node and output, params and MACs equal PyTorch's; the
    compiled block also runs backward."""
    report = resolve_case(block, params, shapes, case)
    model = compile_graph(report.graph)
    model.train()
    xs = [torch.randn(batch, *s.as_tuple(), requires_grad=True) for s in shapes]
    ShapeProp(model).propagate(*xs)
    for fx_node in model.graph.nodes:
        value = fx_node.meta.get("segkit_value")
        if value is not None:
            static = report.graph.nodes[value.node].meta["shapes"][value.output]
            actual = tuple(fx_node.meta["tensor_meta"].shape)
            assert actual == (batch, *static.as_tuple()), f"{value}: torch {actual}, static {static}"
    assert report.params == sum(p.numel() for p in model.parameters()), "params differ"
    with FlopCounterMode(display=False) as counter:
        out = model(*xs)
    assert 2 * batch * report.macs == counter.get_total_flops(), \
        f"MACs: static {report.macs}, torch {counter.get_total_flops() / 2 / batch}"
    outs = out.values() if isinstance(out, dict) else [out]
    loss = sum(o.float().sum() for o in outs if o.is_floating_point())
    if loss.requires_grad:
        loss.backward()


def train_compiled(block: str, params: dict, shapes: list[segkit.Shape], case: Case | None = None) -> list[str]:
    """Compile the block with ``torch.compile(fullgraph=True)`` in train mode and return
    its graph breaks (``segkit.testing.graph_breaks``); with none, the compiled block
    (dynamo's cached graph) also runs backward from the sum of its float outputs, which
    must reach an input."""
    report = resolve_case(block, params, shapes, case)
    model = compile_graph(report.graph).train()
    xs = [torch.randn(2, *s.as_tuple(), requires_grad=True) for s in shapes]
    breaks = testing.graph_breaks(model, *xs)
    if breaks:
        return breaks
    out = torch.compile(model, fullgraph=True, backend="aot_eager")(*xs)
    outs = out.values() if isinstance(out, dict) else [out]
    sum(o.sum() for o in outs if o.is_floating_point()).backward()
    assert any(x.grad is not None for x in xs), "backward reached no input"
    return []


def shapes_2d(channels, size=st.integers(4, 16), n: int = 1, same: bool = True):
    """``n`` 2-D input shapes with ``channels`` (an int or strategy) and square sizes."""
    chans = channels if isinstance(channels, st.SearchStrategy) else st.just(channels)
    if same:
        return st.tuples(chans, size).map(lambda cs: [segkit.Shape(cs[0], (cs[1], cs[1]))] * n)
    return st.lists(st.tuples(chans, size).map(lambda cs: segkit.Shape(cs[0], (cs[1], cs[1]))),
                    min_size=n, max_size=n)

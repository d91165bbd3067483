"""The compiler's in-place pass (segkit/compiler/inplace.py) changes no value and no gradient, never
overwrites a graph input or a tensor that something else still reads, and makes the
ReLUs and residual sums of a ResNet in-place, as torchvision writes them; a forward hook
that keeps a tensor the pass overwrites sees the overwrite, as its doc warns."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings

import segkit
from segkit.compiler.codegen import compile_graph
from segkit.ops import functional
from tests.analysis.test_random_dags import dag_specs

SPECS = Path(__file__).resolve().parents[2] / "specs"


def out_of_place(model: torch.fx.GraphModule) -> torch.fx.GraphModule:
    """A copy of ``model`` with the pass undone."""
    plain = copy.deepcopy(model)
    for module in plain.modules():
        if hasattr(module, "inplace"):
            module.inplace = False
    for node in plain.graph.nodes:
        if node.target is functional.add_into:
            node.target = functional.add
    plain.recompile()
    return plain


def run(model, x):
    """Outputs, input gradient and parameter gradients of one train-mode step (seeded:
    dropout draws the same masks in both runs)."""
    torch.manual_seed(0)
    x = x.clone().requires_grad_()
    out = model(x)
    outs = list(out.values()) if isinstance(out, dict) else [out]
    sum(o.float().square().mean() for o in outs).backward()
    return [o.detach() for o in outs], x.grad, [p.grad for p in model.parameters()]


def assert_same_step(model, x):
    """One training step of ``model`` equals that of its out-of-place copy, exactly, and
    leaves the caller's ``x`` as it was."""
    plain = out_of_place(model)
    kept = x.clone()
    got, expected = run(model, x), run(plain, x)
    assert torch.equal(x, kept)
    for a, b in zip(got[0] + [got[1]] + got[2], expected[0] + [expected[1]] + expected[2]):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(a, b, rtol=0, atol=0)


@settings(deadline=None)
@given(dag_specs())
def test_random_graphs_give_the_same_values_and_gradients_in_place(case):
    text, channels, spatial = case
    try:
        report = segkit.check(text, input="x".join(map(str, (channels, *spatial))))
    except segkit.SegkitError:
        return  # a map shrunk below a kernel: nothing to compile
    torch.manual_seed(0)
    assert_same_step(compile_graph(report.graph).train(), torch.randn(2, channels, *spatial))


RELU_THEN_SUM = """
segkit: 1
name: relu-then-sum
inputs: {x: 4}
nodes:
  conv: {block: conv, from: x, out: 4, kernel: 3}
  bn: {block: bn}
  relu: {block: act}
  other: {block: conv, from: x, out: 4, kernel: 1}
  sum: {block: add, from: [relu, other]}
  out: {block: act, from: sum}
outputs: {out: out}
"""


@pytest.mark.parametrize("spec, shape, params", [
    (RELU_THEN_SUM, "4x8x8", {}),
    (SPECS / "examples" / "fcn8s_tiny.yaml", None, {}),
    (SPECS / "examples" / "segnet_tiny.yaml", None, {}),
    (SPECS / "unet_small.yaml", "3x32x32", {}),
    (SPECS / "enet.yaml", "3x64x64", {}),
    (SPECS / "torchvision" / "fcn_resnet50.yaml", "3x32x32", {}),
], ids=["relu_then_sum", "fcn8s_tiny", "segnet_tiny", "unet_small", "enet", "fcn_resnet50"])
def test_specs_give_the_same_training_step_in_place(spec, shape, params):
    torch.manual_seed(0)
    report = segkit.check(spec, input=shape, **params)
    model = compile_graph(report.graph).train()
    size = next(iter(report.input_shapes.values())).as_tuple()
    assert_same_step(model, torch.randn(2, *size))


def test_a_tensor_read_twice_is_not_overwritten():
    spec = """
segkit: 1
name: two-readers
inputs: {x: 4}
nodes:
  conv: {block: conv, from: x, out: 4, kernel: 1}
  relu: {block: act, from: conv}
  skip: {block: add, from: [conv, relu]}
  gate: {block: sigmoid, from: skip}
  sum: {block: add, from: [gate, skip]}
outputs: {out: sum}
"""
    model = segkit.build(spec, input="4x8x8")
    assert not model.get_submodule("relu").inplace  # conv is also read by skip
    assert model.code.count("add_into") == 0  # skip feeds two readers; gate is a sigmoid


def test_resnet_relus_and_residual_sums_are_in_place_as_in_torchvision():
    model = segkit.build(SPECS / "torchvision" / "fcn_resnet50.yaml", input="3x64x64", train_heads=False)
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert relus and all(m.inplace for m in relus)
    assert model.code.count("add_into(") == 16  # one per bottleneck: 3 + 4 + 6 + 3
    assert "functional_add(" not in model.code


HOOKED = """segkit: 1
name: hooked
inputs: {x: 3}
nodes:
  conv: {block: conv, out: 4}
  bn: {block: bn}
  relu: {block: act, kind: relu}
  head: {block: conv, out: 2, kernel: 1}
outputs: {out: head}
"""


def test_a_forward_hook_keeps_a_tensor_the_in_place_relu_overwrites_unless_it_clones():
    """As the module doc warns (and as with torchvision): the BN output a hook keeps is
    the ReLU's output once the forward has run; its clone is the BN output."""
    model = segkit.build(HOOKED, input="3x8x8").eval()
    kept = {}

    def hook(module, args, output):
        kept["tensor"], kept["clone"] = output, output.clone()

    model.bn.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(0)))
    assert (kept["clone"] < 0).any()
    assert torch.equal(kept["tensor"], kept["clone"].relu())

"""The compiled module: generated code, naming, outputs, and torch.compile / export."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

import segkit

EXAMPLES = sorted((Path(__file__).parents[2] / "specs" / "examples").glob("*.yaml"))
SMALL = {"fcn8s_tiny": "3x64x64", "segnet_tiny": "3x37x45", "unet_valid_tiny": "1x92x92"}


@pytest.fixture(params=EXAMPLES, ids=lambda p: p.stem)
def example(request):
    path = request.param
    shape = SMALL[path.stem]
    return path, shape, segkit.build(path, input=shape, width=4)


def _input(shape: str) -> torch.Tensor:
    return torch.randn(2, *segkit.Shape.parse(shape).as_tuple())


def test_output_shape_equals_static_shape(example):
    path, shape, model = example
    report = segkit.check(path, input=shape, width=4)
    out = model(_input(shape))
    assert tuple(out.shape) == (2, *report.outputs["out"].as_tuple())


def test_forward_code_has_no_dispatch_loop_and_names_nodes(example):
    path, _, model = example
    code = model.code
    assert "for " not in code
    report = segkit.check(path, width=4)
    for row in report.rows:
        assert row.id in code, row.id


def test_state_dict_keys_follow_node_ids(example):
    path, _, model = example
    report = segkit.check(path, width=4)
    weighted = {n.id for n in report.graph.nodes.values() if n.meta["inference"].params}
    keys = {k.rsplit(".", 1)[0] for k in model.state_dict() if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))}
    assert weighted == keys


def test_torch_compile_fullgraph_has_no_graph_break(example):
    _, shape, model = example
    torch._dynamo.reset()
    x = _input(shape)
    explanation = torch._dynamo.explain(model)(x)
    assert explanation.graph_break_count == 0, explanation.break_reasons
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    out = compiled(x)
    out.sum().backward()
    torch.testing.assert_close(out, model(x))


def test_torch_export_and_trace(example):
    # torch.jit.script is deprecated in current PyTorch; export and trace are the paths.
    _, shape, model = example
    model = model.eval()
    x = _input(shape)
    exported = torch.export.export(model, (x,))
    torch.testing.assert_close(exported.module()(x), model(x))
    traced = torch.jit.trace(model, (x,))
    torch.testing.assert_close(traced(x), model(x))


def test_several_outputs_give_a_dict_one_gives_a_tensor():
    text = """
segkit: 1
name: two-heads
inputs: {x: 3}
nodes:
  a: {block: conv, out: 4}
  b: {block: conv, out: 2, kernel: 1}
outputs: {main: b, aux: a}
"""
    model = segkit.build(text)
    out = model(torch.randn(1, 3, 8, 8))
    assert set(out) == {"main", "aux"} and out["main"].shape == (1, 2, 8, 8)
    single = segkit.build(text.replace("outputs: {main: b, aux: a}", "outputs: {main: b}"))
    assert isinstance(single(torch.randn(1, 3, 8, 8)), torch.Tensor)


def test_rank_generic_spec_runs_in_3d():
    text = """
segkit: 1
name: tiny-3d
inputs: {vol: {channels: 1, rank: 3, size: 16}}
nodes:
  c1: {block: conv_bn_act, out: 4}
  down: {block: maxpool}
  c2: {block: conv_bn_act, out: 8}
  up: {block: conv_transpose, out: 4, kernel: 2, stride: 2}
  cat: {block: concat, from: [c1, up]}
  head: {block: conv, out: 2, kernel: 1}
outputs: {out: head}
"""
    report = segkit.check(text, input="1x16x12x8")
    assert report.outputs["out"] == segkit.Shape(2, (16, 12, 8))
    out = segkit.build(text)(torch.randn(1, 1, 16, 12, 8))
    assert out.shape == (1, 2, 16, 12, 8)


AUX_SPEC = """
segkit: 1
name: aux-head
inputs: {x: 3}
nodes:
  a: {block: conv, out: 4}
  head: {block: conv, out: 2, kernel: 1}
  aux_head: {block: conv, from: a, out: 2, kernel: 1}
outputs: {out: head, aux: {from: aux_head, train: true}}
"""


def test_training_only_outputs_are_dropped_in_eval_mode():
    model = segkit.build(AUX_SPEC)
    x = torch.randn(1, 3, 8, 8)
    assert set(model.train()(x)) == {"out", "aux"}
    out = model.eval()(x)
    assert isinstance(out, torch.Tensor) and out.shape == (1, 2, 8, 8)
    torch._dynamo.reset()
    assert not torch._dynamo.explain(model)(x).break_reasons


def test_inference_build_leaves_training_heads_out():
    full, lean = segkit.check(AUX_SPEC), segkit.check(AUX_SPEC, train_heads=False)
    assert full.params - lean.params == 4 * 2 + 2
    model = segkit.build(AUX_SPEC, train_heads=False)
    assert not any(k.startswith("aux_head") for k in model.state_dict())
    assert isinstance(model.train()(torch.randn(1, 3, 8, 8)), torch.Tensor)


def test_inference_build_does_not_warn_about_the_heads_it_drops():
    assert segkit.check(AUX_SPEC, train_heads=False).warnings == []
    unused = AUX_SPEC.replace("outputs:", "  stray: {block: conv, from: x, out: 1}\noutputs:")
    assert [w.message.split("'")[1] for w in segkit.check(unused, train_heads=False).warnings] == ["stray"]

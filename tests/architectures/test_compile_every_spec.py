"""Every shipped spec compiles with ``torch.compile(fullgraph=True)`` without a graph
break (issue 7), in eval mode; the quick-start spec also in train mode, forward and
backward.

Graph breaks happen in TorchDynamo's tracing of the generated forward, before any
backend runs, so the eval check uses a recording eager backend: ``fullgraph=True``
makes any break an error (``torch._dynamo.explain`` then names the reasons in the
failure message) and the backend must receive exactly one graph, whose outputs must
equal eager PyTorch's. Inductor would add minutes of C++ code generation per spec on a
2-core CI machine without telling more about graph breaks; tests/cuda runs inductor on
a GPU. The train-mode check uses ``aot_eager``, which also traces the backward through
AOTAutograd. Measured on one thread of a busy 2-core machine: 0.2-10 s per spec (the
Xception, ResNet-101, PSPNet and RefineNet specs at the top), about 3 minutes for the
file (2 minutes of CPU); ``explain`` on every spec as well would nearly double that.
"""
from __future__ import annotations

import copy

import pytest
import torch

import segkit
from tests.architectures.test_every_spec import ROOT, SPECS, small_input


def inputs(path, batch: int) -> tuple[dict, list[torch.Tensor]]:
    shapes = small_input(segkit.check(path))
    generator = torch.Generator().manual_seed(0)
    return shapes, [torch.randn(batch, *s.as_tuple(), generator=generator) for s in shapes.values()]


def outputs(out) -> list[torch.Tensor]:
    return list(out.values()) if isinstance(out, dict) else [out]


def compile_fullgraph(model, backend):
    """``torch.compile(model, fullgraph=True)`` with ``backend`` ("aot_eager" or a
    recording function), from a clean dynamo cache."""
    torch._dynamo.reset()
    return torch.compile(model, fullgraph=True, backend=backend)


def graph_breaks(model, xs) -> str:
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(model)(*xs)
    return f"{explanation.graph_break_count} graph breaks: {explanation.break_reasons}"


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_eval_forward_compiles_as_one_graph(path):
    shapes, xs = inputs(path, batch=1)
    torch.manual_seed(0)
    model = segkit.build(path, input=shapes, train_heads=False).eval()
    graphs = []

    def record(gm, example_inputs):
        graphs.append(gm)
        return gm.forward

    compiled = compile_fullgraph(model, record)
    with torch.no_grad():
        try:
            got = compiled(*xs)
        except torch._dynamo.exc.TorchDynamoException:  # a graph break under fullgraph=True
            pytest.fail(graph_breaks(model, xs))
        want = model(*xs)
    assert len(graphs) == 1
    for g, w in zip(outputs(got), outputs(want), strict=True):
        torch.testing.assert_close(g, w, rtol=0, atol=0)


def test_quick_start_spec_trains_compiled_forward_and_backward():
    path = ROOT / "unet_small.yaml"
    shapes, xs = inputs(path, batch=2)
    torch.manual_seed(0)
    model = segkit.build(path, input=shapes).train()
    eager = copy.deepcopy(model)
    compiled = compile_fullgraph(model, "aot_eager")
    for net in (compiled, eager):
        sum(o.float().mean() for o in outputs(net(*xs))).backward()
    for (name, p), q in zip(model.named_parameters(), eager.parameters(), strict=True):
        assert p.grad is not None, name
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-6, msg=name)
    for (name, b), c in zip(model.named_buffers(), eager.buffers(), strict=True):  # BN running statistics
        torch.testing.assert_close(b, c, msg=name)

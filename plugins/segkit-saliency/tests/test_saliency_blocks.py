"""Block contracts: static shapes, parameters and MACs equal PyTorch's, for the Python
blocks (``segkit.testing``) and, through one-node specs, the macro and YAML blocks."""
from __future__ import annotations

import pytest
import torch
import yaml
from segkit_saliency.ops import Reparameterize, TrainSwitch
from torch.fx.passes.shape_prop import ShapeProp
from torch.utils.flop_counter import FlopCounterMode

import segkit
from segkit.compiler.codegen import compile_graph
from segkit.core.shape import Shape
from segkit.errors import SegkitError
from segkit.testing import block_test, check_block, shapes

test_reparameterize_matches_torch = block_test(
    Reparameterize, inputs=shapes(min_rank=0, max_rank=3, max_size=6).map(lambda s: [s, s]), max_examples=10)
test_train_switch_matches_torch = block_test(
    TrainSwitch, inputs=shapes(min_rank=0, max_rank=3, max_size=6).map(lambda s: [s, s]), max_examples=10)


def test_python_blocks_are_exact_on_latent_shapes():
    latent = Shape(3, (1, 1))
    check_block(Reparameterize, {}, latent, latent)
    check_block(Reparameterize, {"sample_eval": False}, Shape(4, (5, 7)), Shape(4, (5, 7)))
    check_block(TrainSwitch, {}, latent, latent)
    with pytest.raises(SegkitError, match="one shape"):
        Reparameterize().infer(Reparameterize.Params(), latent, Shape(2, (1, 1)))
    with pytest.raises(SegkitError, match="one shape"):
        TrainSwitch().infer(TrainSwitch.Params(), latent, Shape(3, (2, 2)))


def test_reparameterize_samples_and_switch_follows_the_mode():
    torch.manual_seed(0)
    mu = torch.full((20000, 2, 1, 1), 1.5)
    logvar = torch.full((20000, 2, 1, 1), 2 * torch.log(torch.tensor(0.5)).item())   # std 0.5
    module = Reparameterize().build(Reparameterize.Params(sample_eval=False), Shape(2, (1, 1)), Shape(2, (1, 1)))
    z = module(mu, logvar)
    assert z.mean().item() == pytest.approx(1.5, abs=0.02) and z.std().item() == pytest.approx(0.5, abs=0.02)
    module.eval()
    assert torch.equal(module(mu, logvar), mu)                   # sample_eval false: the mean
    sampling = Reparameterize().build(Reparameterize.Params(), Shape(2, (1, 1)), Shape(2, (1, 1))).eval()
    assert not torch.equal(sampling(mu, logvar), mu)             # default: samples at test time too
    switch = TrainSwitch().build(TrainSwitch.Params(), Shape(1), Shape(1))
    a, b = torch.zeros(1, 1), torch.ones(1, 1)
    assert switch(a, b) is a and switch.eval()(a, b) is b


def check_spec_block(registry, block: str, params: dict, in_shapes: list[Shape], outputs=("out",),
                     batch: int = 2) -> dict[str, Shape]:
    """One-node spec calling ``block``: every node's static shape, the params and MACs equal
    torch's; backward runs. Returns the static shapes of the outputs."""
    inputs = {f"x{k}": {"channels": s.channels, "rank": s.rank} for k, s in enumerate(in_shapes)}
    text = yaml.safe_dump({"segkit": 1, "name": f"contract-{block}", "inputs": inputs,
                           "nodes": {"node": {"block": block, "from": list(inputs), **params}},
                           "outputs": {name: f"node.{name}" for name in outputs}}, sort_keys=False)
    report = segkit.check(text, input={f"x{k}": s for k, s in enumerate(in_shapes)}, registry=registry)
    model = compile_graph(report.graph).train()
    xs = [torch.randn(batch, *s.as_tuple(), requires_grad=True) for s in in_shapes]
    ShapeProp(model).propagate(*xs)
    for fx_node in model.graph.nodes:
        value = fx_node.meta.get("segkit_value")
        if value is not None:
            static = report.graph.nodes[value.node].meta["shapes"][value.output]
            assert tuple(fx_node.meta["tensor_meta"].shape) == (batch, *static.as_tuple()), value
    assert report.params == sum(p.numel() for p in model.parameters())
    with FlopCounterMode(display=False) as counter:
        out = model(*xs)
    assert 2 * batch * report.macs == counter.get_total_flops()
    outs = out.values() if isinstance(out, dict) else [out]
    sum(o.float().sum() for o in outs).backward()
    return report.outputs


@pytest.mark.parametrize("n_inputs, size", [(1, 32), (2, 64), (3, 70), (3, 352)])
def test_gaussian_encoder_contract(registry, n_inputs, size):
    in_shapes = [Shape(3, (size, size)), Shape(1, (size, size)), Shape(1, (size, size))][:n_inputs]
    params = {"width": 4, "latent_dim": 3} if size < 352 else {"width": 2, "latent_dim": 3, "layers": 5}
    outs = check_spec_block(registry, "gaussian_encoder", params, in_shapes, outputs=("mu", "logvar", "z"))
    assert outs == {name: Shape(3, (1, 1)) for name in ("mu", "logvar", "z")}


def test_gaussian_encoder_heads_equal_the_official_linear_layers(registry):
    # at 352 x 352 the 11 x 11 map is pooled to itself; the 11 x 11 conv head has the
    # parameters of nn.Linear(8 * 32 * 11 * 11, 3), and computes the same function
    report = segkit.check("""
segkit: 1
name: enc
inputs: {x: 4}
nodes:
  e: {block: gaussian_encoder, from: x}
outputs: {mu: e.mu, logvar: e.logvar}
""", input={"x": Shape(4, (352, 352))}, registry=registry)
    assert report.graph.nodes["e.act5"].meta["shapes"]["out"] == Shape(256, (11, 11))
    assert report.graph.nodes["e.mu"].meta["inference"].params == 256 * 11 * 11 * 3 + 3
    model = compile_graph(report.graph).eval()
    feature = torch.randn(1, 256, 11, 11)
    linear = torch.nn.Linear(256 * 11 * 11, 3)
    with torch.no_grad():
        model.e.mu.weight.copy_(linear.weight.reshape(3, 256, 11, 11))
        model.e.mu.bias.copy_(linear.bias)
        head = model.e.mu(model.e.pool(feature))
    torch.testing.assert_close(head.flatten(1), linear(feature.flatten(1)), rtol=1e-4, atol=1e-5)


def test_gaussian_encoder_rejects_inputs_too_small(registry):
    with pytest.raises(SegkitError):
        segkit.check("segkit: 1\nname: t\ninputs: {x: 3}\nnodes:\n  e: {block: gaussian_encoder}\n"
                     "outputs: {z: e.z}\n", input={"x": Shape(3, (16, 16))}, registry=registry)


@pytest.mark.parametrize("block, params, channels, size", [
    ("triple_conv", {"out": 8}, 12, 9),
    ("rcab", {}, 32, 7),
    ("rcab", {"reduction": 4}, 8, 5),
    ("dense_aspp_head", {}, 8, 13),
    ("dense_aspp_head", {"rates": [1, 2], "dropout": 0.0}, 4, 6),
])
def test_yaml_block_contracts(registry, block, params, channels, size):
    out = check_spec_block(registry, block, params, [Shape(channels, (size, size))])["out"]
    assert out.spatial == (size, size)
    assert out.channels == params.get("out", channels)


def test_blocks_compile_without_graph_breaks(registry):
    report = segkit.check("""
segkit: 1
name: latent
inputs: {x: 2, y: 1}
nodes:
  p: {block: gaussian_encoder, from: [x], width: 2}
  q: {block: gaussian_encoder, from: [x, y], width: 2}
  z: {block: train_switch, from: [q.z, p.z]}
  tile: {block: resize, from: z, like: x, mode: nearest}
outputs: {out: tile}
""", input={"x": Shape(2, (32, 32)), "y": Shape(1, (32, 32))}, registry=registry)
    model = compile_graph(report.graph)
    x, y = torch.randn(2, 2, 32, 32), torch.randn(2, 1, 32, 32)
    torch._dynamo.reset()
    compiled = torch.compile(model, fullgraph=True, backend="eager")
    out = compiled(x, y)
    assert out.shape == (2, 3, 32, 32)
    assert bool((out == out[:, :, :1, :1]).all())                # the tiled latent is constant in space

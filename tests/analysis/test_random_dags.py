"""The central property at graph level: random DAG specs of primitive ops resolve,
compile and run, and the static shape of every node equals what PyTorch computes;
static params equal ``parameters()`` and static MACs equal ``FlopCounterMode``."""
from __future__ import annotations

import torch
import yaml
from hypothesis import given
from hypothesis import strategies as st
from torch.fx.passes.shape_prop import ShapeProp
from torch.utils.flop_counter import FlopCounterMode

import segkit


@st.composite
def dag_specs(draw):
    """A random spec: each node applies a random op to one or two earlier values."""
    rank = draw(st.sampled_from([1, 2, 2, 3]))
    size = draw(st.integers(8, 20 if rank < 3 else 10))
    channels = draw(st.integers(1, 4))
    nodes: dict[str, dict] = {}
    names = ["x"]

    def pick():
        return draw(st.sampled_from(names))

    for k in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["conv", "conv_s2", "bn", "act", "pool", "up", "add", "concat",
                                   "mul_gate", "sepconv", "tconv", "split", "dropout"]))
        src = pick()
        nid = f"n{k}"
        if op == "conv":
            nodes[nid] = {"block": "conv", "from": src, "out": draw(st.integers(1, 6)),
                          "kernel": draw(st.sampled_from([1, 3])), "dilation": draw(st.integers(1, 2)),
                          "bias": draw(st.booleans())}
        elif op == "conv_s2":
            nodes[nid] = {"block": "conv", "from": src, "out": draw(st.integers(1, 6)), "kernel": 3, "stride": 2}
        elif op == "sepconv":
            nodes[nid] = {"block": "sepconv", "from": src, "out": draw(st.integers(1, 6)),
                          "dilation": draw(st.integers(1, 2)), "mid_norm": draw(st.sampled_from(["none", "bn"]))}
        elif op == "tconv":
            nodes[nid] = {"block": "conv_transpose", "from": src, "out": draw(st.integers(1, 4)),
                          "kernel": 2, "stride": 2}
        elif op == "bn":
            nodes[nid] = {"block": "bn", "from": src}
        elif op == "act":
            nodes[nid] = {"block": "act", "from": src, "kind": draw(st.sampled_from(["relu", "prelu", "gelu"]))}
        elif op == "dropout":
            nodes[nid] = {"block": "dropout2d", "from": src, "p": 0.0}
        elif op == "pool":
            nodes[nid] = {"block": draw(st.sampled_from(["maxpool", "avgpool"])), "from": src,
                          "kernel": 2, "ceil_mode": draw(st.booleans())}
        elif op == "up":
            nodes[nid] = {"block": "resize", "from": src, "like": pick(), "mode": "nearest"}
        elif op == "split":
            nodes[nid + "_p"] = {"block": "conv", "from": src, "out": 4, "kernel": 1}
            nodes[nid] = {"block": "split", "from": nid + "_p", "sizes": [1, 3]}
            nodes[nid + "_b"] = {"block": "add", "from": [f"{nid}.0", f"{nid}.0"]}
            names.append(nid + "_b")
            continue
        else:
            other = pick()
            nodes[nid + "_r"] = {"block": "resize", "from": other, "like": src, "mode": "nearest"}
            if op == "add":
                nodes[nid + "_p"] = {"block": "conv", "from": nid + "_r", "out": f"${{channels('{src}')}}", "kernel": 1}
                nodes[nid] = {"block": "add", "from": [src, nid + "_p"]}
            elif op == "mul_gate":
                nodes[nid + "_g"] = {"block": "global_avgpool", "from": nid + "_r"}
                nodes[nid + "_s"] = {"block": "conv", "from": nid + "_g", "out": f"${{channels('{src}')}}", "kernel": 1}
                nodes[nid] = {"block": "mul", "from": [src, nid + "_s"]}
            else:
                nodes[nid] = {"block": "concat", "from": [src, nid + "_r"]}
        names.append(nid)
    outputs = {f"o{j}": name for j, name in enumerate(names[1:]) if draw(st.booleans())} or {"out": names[-1]}
    spec = {"segkit": 1, "name": "random-dag", "inputs": {"x": {"channels": channels, "rank": rank}},
            "nodes": nodes, "outputs": outputs}
    return yaml.safe_dump(spec, sort_keys=False), channels, (size,) * rank


@given(dag_specs())
def test_static_shapes_params_and_macs_equal_torch(case):
    text, channels, spatial = case
    shape = "x".join(map(str, (channels, *spatial)))
    try:
        report = segkit.check(text, input=shape)
    except segkit.SegkitError as exc:
        # random graphs may shrink a map below a kernel; those must be shape errors
        assert "too small" in exc.message or "no output" in exc.message or "larger than" in exc.message, exc.format()
        return
    from segkit.compiler.codegen import compile_graph

    model = compile_graph(report.graph).eval()
    x = torch.randn(1, channels, *spatial)
    ShapeProp(model).propagate(x)
    checked = 0
    for fx_node in model.graph.nodes:
        value = fx_node.meta.get("segkit_value")
        if value is None:
            continue
        static = report.graph.nodes[value.node].meta["shapes"][value.output]
        assert tuple(fx_node.meta["tensor_meta"].shape) == (1, *static.as_tuple()), (value, text)
        checked += 1
    assert checked == sum(len(n.meta["shapes"]) for n in report.graph.nodes.values())
    assert report.params == sum(p.numel() for p in model.parameters())
    with FlopCounterMode(display=False) as counter:
        model(x)
    assert report.macs * 2 == counter.get_total_flops()

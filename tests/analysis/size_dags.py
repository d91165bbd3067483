"""A hypothesis strategy for random specs whose accepted input sizes are interesting:
strided and padded convs, pools with ceil mode, transposed convs, rational resizes,
crops, unpooling, instance and group norm (whose one-element limits couple the dims),
broadcasting, merges of arbitrary earlier values, and
U-Net-like skips (down by k, up by k, merged with the skipped value without resizing,
so that "a multiple of k" constraints bind and nest)."""
from __future__ import annotations

import yaml
from hypothesis import strategies as st

OPS = ["conv", "conv", "pool", "tconv", "scale", "like", "crop", "merge", "gate", "unpool", "adaptive", "in", "gn",
       "skip", "skip", "skip"]


@st.composite
def size_dags(draw):
    """(spec text, rank): a random DAG over one input of rank 1 or 2; for rank 2 some
    windows may differ per dim (an anisotropic spec)."""
    rank = draw(st.sampled_from([1, 2, 2]))
    anisotropic = rank == 2 and draw(st.booleans())

    def size(lo: int, hi: int):
        first = draw(st.integers(lo, hi))
        return [first, draw(st.integers(lo, hi))] if anisotropic and draw(st.booleans()) else first

    nodes: dict[str, dict] = {}
    names = ["x"]
    for k in range(draw(st.integers(1, 7))):
        src, nid = draw(st.sampled_from(names)), f"n{k}"
        op = draw(st.sampled_from(OPS))
        if op == "conv":
            nodes[nid] = {"block": "conv", "from": src, "out": 2, "kernel": size(1, 5), "stride": size(1, 3),
                          "padding": draw(st.sampled_from(["auto", 0, 1, 2])), "dilation": size(1, 2)}
        elif op in ("pool", "unpool"):
            kernel = draw(st.integers(2, 3))
            window = {"kernel": kernel, "stride": draw(st.integers(1, 3)), "padding": draw(st.integers(0, kernel // 2))}
            pool = {"block": draw(st.sampled_from(["maxpool", "avgpool"])) if op == "pool" else "maxpool",
                    "from": src, **window, "ceil_mode": draw(st.booleans())}
            if op == "unpool":
                nodes[nid + "_p"] = {**pool, "return_indices": True}
                nodes[nid + "_a"] = {"block": "act", "from": nid + "_p"}
                pool = {"block": "unpool", "from": nid + "_a", "indices": nid + "_p", **window}
            nodes[nid] = pool
        elif op == "tconv":
            stride = draw(st.integers(1, 3))
            nodes[nid] = {"block": "conv_transpose", "from": src, "out": 2, "kernel": draw(st.integers(1, 4)),
                          "stride": stride, "padding": draw(st.integers(0, 1)),
                          "output_padding": draw(st.integers(0, stride - 1))}
        elif op == "scale":
            nodes[nid] = {"block": "resize", "from": src, "scale": draw(st.sampled_from([0.25, 0.5, 1.5, 2, 3])),
                          "mode": "nearest"}
        elif op == "like":
            nodes[nid] = {"block": "resize", "from": src, "like": draw(st.sampled_from(names)), "mode": "nearest"}
        elif op == "crop":
            nodes[nid] = {"block": "crop", "from": src, "like": draw(st.sampled_from(names))}
        elif op == "merge":
            other = draw(st.sampled_from(names))
            kind = draw(st.sampled_from(["add", "concat", "mul"]))
            if kind == "concat":
                nodes[nid] = {"block": "concat", "from": [src, other]}
            else:
                nodes[nid + "_p"] = {"block": "conv", "from": other, "out": f"${{channels('{src}')}}", "kernel": 1}
                nodes[nid] = {"block": kind, "from": [src, nid + "_p"]}
        elif op == "gate":
            nodes[nid + "_g"] = {"block": "global_avgpool", "from": src}
            nodes[nid] = {"block": draw(st.sampled_from(["add", "mul"])), "from": [src, nid + "_g"]}
        elif op == "skip":
            k = draw(st.integers(2, 3))
            down = draw(st.sampled_from([
                {"block": "conv", "out": 2, "kernel": draw(st.sampled_from([1, 3])), "stride": k},
                {"block": "maxpool", "kernel": k, "ceil_mode": draw(st.booleans())},
                {"block": "avgpool", "kernel": k}]))
            up = draw(st.sampled_from([{"block": "resize", "scale": k, "mode": "nearest"},
                                       {"block": "conv_transpose", "out": 2, "kernel": k, "stride": k}]))
            nodes[nid + "_d"] = {**down, "from": src}
            nodes[nid + "_u"] = {**up, "from": nid + "_d"}
            nodes[nid] = {"block": draw(st.sampled_from(["concat", "concat", "add"])), "from": [src, nid + "_u"]}
            if nodes[nid]["block"] == "add":
                nodes[nid + "_c"] = {"block": "conv", "from": nid + "_u", "out": f"${{channels('{src}')}}", "kernel": 1}
                nodes[nid]["from"] = [src, nid + "_c"]
        elif op == "adaptive":
            nodes[nid] = {"block": "adaptive_avgpool", "from": src, "size": draw(st.integers(1, 3))}
        elif op == "gn":  # every value has an even channel count: groups 2 may be one channel per group
            nodes[nid] = {"block": "gn", "from": src, "groups": draw(st.sampled_from([1, 2]))}
        else:
            nodes[nid] = {"block": "in", "from": src}
        names.append(nid)
    spec = {"segkit": 1, "name": "size-dag", "inputs": {"x": {"channels": 2, "rank": rank}}, "nodes": nodes,
            "outputs": {f"o{j}": name for j, name in enumerate(names[1:])}}
    return yaml.safe_dump(spec, sort_keys=False), rank

"""Fold each conv -> bn -> act chain of an imported spec into one ``conv_bn_act`` node.

The fx graph is imported op by op, so a CNN's spec holds three nodes per conv unit;
HRNet's would hold over a thousand, past the spec language's limit on a section's
entries, and unreadable. ``conv_bn_act`` is the same three ops (a bias-free conv, a
batch norm, an activation), so folding keeps the import exact; its state moves under
the sub-nodes (``layer1_0_conv1.weight`` -> ``layer1_0_conv1.conv.weight``). A chain is
folded only where nothing else reads its inner values and every param it has is one
``conv_bn_act`` takes (a bn with its default momentum and affine, an act given by its
kind alone)."""
from __future__ import annotations

from segkit.importer.builder import SpecBuilder

CONV_PARAMS = {"out", "kernel", "stride", "padding", "dilation", "groups", "bias"}
"""conv params ``conv_bn_act`` passes on (with equal defaults); its conv has no bias."""


def _sources(node: dict) -> list[str]:
    refs = node["from"] if isinstance(node["from"], list) else [node["from"]]
    return [r.partition(".")[0] for r in refs] + ([node["like"]] if isinstance(node.get("like"), str) else [])


def _only_reader(spec: SpecBuilder, readers: dict, ident: str, block: str, allowed: set) -> str | None:
    """The single node reading ``ident`` (and nothing else), if it calls ``block`` on
    ``ident`` alone with params among ``allowed``."""
    found = readers.get(ident, [])
    if len(found) != 1 or found[0] is None:
        return None
    node = spec.nodes[found[0]]
    params = set(node) - {"block", "from"}
    return found[0] if node["block"] == block and node["from"] == ident and params <= allowed else None


def fuse_conv_bn_act(spec: SpecBuilder) -> None:
    """Fold, in place, every foldable conv -> bn (-> act) chain of ``spec``."""
    readers: dict[str, list] = {}
    for ident, node in spec.nodes.items():
        for source in _sources(node):
            readers.setdefault(source, []).append(ident)
    for ref in spec.outputs.values():
        readers.setdefault(ref.partition(".")[0], []).append(None)
    renamed: dict[str, str] = {}  # the folded bn and act nodes -> their chain's node
    nodes = dict(spec.nodes)
    for ident, node in spec.nodes.items():
        bn = node["block"] == "conv" and node.get("bias") is False and set(node) - {"block", "from"} <= CONV_PARAMS \
            and _only_reader(spec, readers, ident, "bn", {"eps"})
        if not bn:
            continue
        act = _only_reader(spec, readers, bn, "act", {"kind"})
        if act and any(k.startswith(f"{act}.") for k in spec.state):  # an act with weights (prelu)
            act = None
        params = {k: v for k, v in node.items() if k != "bias"} | {"block": "conv_bn_act"}
        params |= {"eps": spec.nodes[bn]["eps"]} if "eps" in spec.nodes[bn] else {}
        kind = spec.nodes[act].get("kind", "relu") if act else "none"
        params |= {"act": kind} if kind != "relu" else {}  # relu: conv_bn_act's default
        nodes[ident] = params
        for inner, sub in ((ident, "conv"), (bn, "bn")):
            for key in [k for k in spec.state if k.startswith(f"{inner}.")]:
                spec.state[f"{ident}.{sub}.{key[len(inner) + 1:]}"] = spec.state.pop(key)
        for gone in filter(None, (bn, act)):
            renamed[gone] = ident
            del nodes[gone]
    spec.nodes = {ident: _renamed(node, renamed) for ident, node in nodes.items()}
    spec.outputs = {name: _ref(ref, renamed) for name, ref in spec.outputs.items()}


def _ref(ref: str, renamed: dict) -> str:
    head, dot, tail = ref.partition(".")
    return renamed.get(head, head) + dot + tail


def _renamed(node: dict, renamed: dict) -> dict:
    node = dict(node)
    node["from"] = [_ref(r, renamed) for r in node["from"]] if isinstance(node["from"], list) \
        else _ref(node["from"], renamed)
    if isinstance(node.get("like"), str):
        node["like"] = _ref(node["like"], renamed)
    return node

"""timm's aligned Xception (``xception41`` / ``xception65``, timm.models.xception_aligned)
onto specs/backbones/xception65.yaml (part of the ``timm`` weight format).

timm numbers the blocks (``blocks.N``: 3 entry, the middle ones, 2 exit) and names the
parts of a separable conv ``conv_dw``, ``bn_dw``, ``conv_pw``, ``bn_pw``; the spec names
the flows (``entry1..3``, ``middle.j``, ``exit1``, ``exit2``) and the parts of its
``xception_sepconv`` units ``conv.depthwise``, ``conv.bn``, ``conv.pointwise``, ``bn``.
"""
from __future__ import annotations

import re

UNIT = re.compile(r"^((?:.*\.)?)blocks\.(\d+)\.stack\.conv(\d+)\.")
ENTRY_BLOCKS = 3
"""Entry-flow blocks of Xception-41 / -65 (xception71's longer entry flow has no spec)."""
PARTS = {"conv_dw.": "conv.depthwise.", "bn_dw.": "conv.bn.", "conv_pw.": "conv.pointwise.", "bn_pw.": "bn."}
STEM = {"stem.0.": "conv1.", "stem.1.": "conv2."}


def xception_aligned(keys: list[str]) -> dict[str, str]:
    """Prefix renames ``{timm prefix: spec prefix}`` for an aligned Xception state dict
    (keys ``[X]stem.K`` and ``[X]blocks.N.stack.convK``), empty for other state dicts."""
    blocks: dict[str, dict[int, set[int]]] = {}
    for key in keys:
        m = UNIT.match(key)
        if m:
            blocks.setdefault(m.group(1), {}).setdefault(int(m.group(2)), set()).add(int(m.group(3)))
    out = {}
    for x, units in blocks.items():
        count = len(units)
        if sorted(units) != list(range(count)) or count < ENTRY_BLOCKS + 2 or f"{x}stem.0.conv.weight" not in keys:
            continue
        out.update({x + src: x + dst for src, dst in STEM.items()})
        for n, convs in units.items():
            node = _node(n, count)
            for k in convs:  # exit2 repeats the sepconv unit itself: no `.sep`
                unit = f"{node}.{k - 1}." if n == count - 1 else f"{node}.sep.{k - 1}."
                out.update({f"{x}blocks.{n}.stack.conv{k}.{src}": x + unit + dst for src, dst in PARTS.items()})
            out[f"{x}blocks.{n}.shortcut."] = f"{x}{node}.shortcut."
    return out


def _node(n: int, count: int) -> str:
    """The spec node of timm's block ``n`` of ``count``."""
    if n < ENTRY_BLOCKS:
        return f"entry{n + 1}"
    if n >= count - 2:
        return f"exit{n - count + 3}"
    return f"middle.{n - ENTRY_BLOCKS}"

"""The outputs of a compiled spec as a flat list: a module returns one tensor, a tuple,
or a dict of named outputs (several outputs, training-only heads)."""
from __future__ import annotations


def flatten_outputs(out) -> list:
    """The tensors of ``out`` (a tensor, a tuple or list, or a dict), in order."""
    if isinstance(out, dict):
        return list(out.values())
    if isinstance(out, (tuple, list)):
        return list(out)
    return [out]

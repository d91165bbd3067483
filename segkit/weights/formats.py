"""The built-in weight formats of :func:`segkit.load_weights` (no torch at import).

- ``segkit``: identity (a segkit state dict, or a checkpoint of ``segkit build --save``
  or ``segkit train``).
- ``torchvision``: see :mod:`segkit.weights.torchvision`.
- ``timm``: timm's ResNets, whose keys are torchvision's (``downsample.0/.1`` are the
  resnet block's ``downsample.conv/.bn``), and its aligned Xception-41/65 (see
  :mod:`segkit.weights.timm_xception`); the classifier (``fc``, ``head.fc``) is
  skipped.

torchvision and timm state dicts of a bare backbone (``conv1.weight``, ...) land on the
backbone node of a spec (``backbone.conv1.weight`` or ``enc.conv1.weight``) by prefix
alignment: the one "strip this first component, prepend that node id" that fits most
of the keys with the right shapes.
"""
from __future__ import annotations

import re

from segkit.weights.timm_xception import xception_aligned

DOWNSAMPLE = (re.compile(r"(^|\.)downsample\.0\."), r"\1downsample.conv."), \
             (re.compile(r"(^|\.)downsample\.1\."), r"\1downsample.bn.")
"""torchvision's ResNet projection shortcut (a Sequential) is the resnet block's
conv_bn_act node ``downsample``."""


class Converted(dict):
    """A renamed state dict plus the source keys the format dropped on purpose."""

    def __init__(self, *args, skipped=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.skipped = list(skipped)


def rename(key: str, rules) -> str:
    for pattern, replacement in rules:
        key = pattern.sub(replacement, key)
    return key


def align_prefixes(state: dict, model_keys: dict) -> dict:
    """``state`` with the keys the model lacks moved under the model's node prefix that
    fits most of them: strip nothing or the first component (``module.``,
    ``backbone.``, ``features.``), prepend nothing or a top-level node id of the model.
    The pair is chosen by the number of keys it makes fit with the right shape; it moves
    every key it maps onto a model key no other source key gives."""
    taken = {k for k in state if k in model_keys}
    rest = [k for k in state if k not in model_keys]
    if not rest:
        return state
    strips = {""} | {k.split(".", 1)[0] + "." for k in rest if "." in k}
    adds = {""} | {k.split(".", 1)[0] + "." for k in model_keys if "." in k}
    best, best_score = None, 0
    for strip in sorted(strips):
        for add in sorted(adds):
            if not strip and not add:
                continue
            score = sum(1 for k in rest if k.startswith(strip)
                        and (t := add + k[len(strip):]) in model_keys and t not in taken
                        and tuple(state[k].shape) == model_keys[t])
            if score > best_score:
                best, best_score = (strip, add), score
    if best is None:
        return state
    strip, add = best
    out = {}
    for key, value in state.items():
        target = add + key[len(strip):] if key in rest and key.startswith(strip) else key
        if key in rest and (target not in model_keys or target in taken or target in out):
            target = key
        out[target] = value
    return out


class KeyMapFormat:
    """A format given by per-key rules (``map_key``), with prefix alignment and
    ``optional`` classifier prefixes that are skipped when the model has no such keys."""

    name = "keymap"
    optional: tuple[str, ...] = ()

    def map_key(self, key: str) -> str | None:
        return key

    def optional_prefixes(self, state: dict) -> tuple[str, ...]:
        return self.optional

    def rename_all(self, state: dict) -> dict[str, str | None]:
        """source key -> model key (None: dropped)."""
        return {k: self.map_key(k) for k in state}

    def convert(self, state: dict, model_keys: dict) -> Converted:
        state = _strip_wrapper(state)
        renamed, skipped = {}, []
        for key, target in self.rename_all(state).items():
            if target is None:
                skipped.append(key)
            else:  # a second key renamed onto a taken one keeps its name (and shows as unexpected)
                renamed[target if target not in renamed else key] = state[key]
        aligned = align_prefixes(renamed, model_keys)
        optional = self.optional_prefixes(state)
        out = Converted(skipped=skipped)
        for key, value in aligned.items():
            if key not in model_keys and key.startswith(optional) and optional:
                out.skipped.append(key)
            else:
                out[key] = value
        return out


def _strip_wrapper(state: dict) -> dict:
    """Drop the ``module.`` of (Distributed)DataParallel from every key."""
    if state and all(k.startswith("module.") for k in state):
        return {k[len("module."):]: v for k, v in state.items()}
    return state


class SegkitFormat:
    """segkit's own keys: nothing to rename."""

    name = "segkit"

    def map_key(self, key: str) -> str:
        return key


DEEP_STEM = {"conv1.0.": "conv1.", "conv1.1.": "bn1.", "conv1.3.": "conv2.", "conv1.4.": "bn2.",
             "conv1.6.": "conv3.", "bn1.": "bn3."}
"""timm's deep stem (resnet*c / *s: a Sequential conv1 and the stem's last BN bn1) onto
the resnet block's stem: deep (conv1, bn1, conv2, bn2, conv3, bn3)."""


class TimmFormat(KeyMapFormat):
    """timm's ResNets (resnet18 ... resnet152): torchvision's names, so only
    ``downsample.0/.1`` change; ``fc`` is skipped. The deep stem of resnet*c / *s maps
    onto ``stem: deep`` (whose widths are 64, 64, 128: resnet*s; *c has 32, 32, 64).
    timm's aligned Xception (``xception65``) maps onto the xception65 backbone spec;
    its ``head.fc`` is skipped."""

    name = "timm"
    optional = ("fc.", "head.fc.")

    def map_key(self, key: str) -> str | None:
        return rename(key, DOWNSAMPLE)

    def rename_all(self, state: dict) -> dict[str, str | None]:
        deep = "conv1.0.weight" in state
        xception = xception_aligned(list(state))
        prefixes = sorted(xception, key=len, reverse=True)
        out = {}
        for key in state:
            prefix = next((p for p in DEEP_STEM if key.startswith(p)), None) if deep else None
            aligned = next((p for p in prefixes if key.startswith(p)), None)
            if prefix:
                out[key] = DEEP_STEM[prefix] + key[len(prefix):]
            elif aligned:
                out[key] = xception[aligned] + key[len(aligned):]
            else:
                out[key] = self.map_key(key)
        return out


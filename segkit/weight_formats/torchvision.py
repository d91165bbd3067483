"""The ``torchvision`` weight format: torchvision's module names onto segkit's.

Structures are recognised from the keys of the state dict, so one format serves the
classification backbones and the segmentation models:

- ResNet (``resnet18`` ... ``resnet152`` and the ``backbone.`` of FCN / DeepLab v3):
  the names are the resnet block's already; ``downsample.0/.1`` are its
  ``downsample.conv/.bn``. The classifier ``fc`` is skipped when the model has none.
- MobileNetV3 features (``features.N`` of ``mobilenet_v3_large/_small``, ``backbone.N``
  of LR-ASPP / DeepLab v3): index 0 is the mobilenetv3 block's ``stem``, 1..K its
  ``bneck.0`` .. ``bneck.{K-1}`` (``block.i`` in order: ``expand`` when present,
  ``depthwise``, ``se``, ``project``; Conv2dNormActivation's ``.0/.1`` are
  ``.conv/.bn``), the final index its ``last``. A classification ``classifier`` is
  skipped when the model has none.
- Heads, by their keys, under ``classifier`` and ``aux_classifier`` (the naming of the
  specs in ``specs/torchvision``; ``aux_`` prefixes the auxiliary head's nodes):
  FCNHead ``.0/.1/.4`` -> ``head.conv`` / ``head.bn`` / ``classifier``; DeepLabHead
  ``.0`` (ASPP: ``convs.i`` -> ``aspp.b{i}``, the pooling branch ``aspp.pool_conv``,
  ``project``) and ``.1/.2/.4`` -> ``head.conv`` / ``head.bn`` / ``classifier``;
  LRASPPHead ``cbr.0/.1`` -> ``cbr.conv/.bn``, ``scale.1`` -> ``scale``.

Keys then move under the model's backbone node when their prefix differs (a bare
``resnet50`` state dict into a spec's ``backbone`` or ``enc`` node).
"""
from __future__ import annotations

import re

from segkit.weight_formats import DOWNSAMPLE, KeyMapFormat, rename

HEADS = ("classifier", "aux_classifier")
BNECK = re.compile(r"^((?:.*\.)?)(\d+)\.block\.(\d+)\.(.*)$")
UNIT_NAMES = {3: ("expand", "depthwise", "project"), 2: ("depthwise", "project")}


class TorchvisionFormat(KeyMapFormat):
    """torchvision's ResNet / MobileNetV3 backbones and FCN / DeepLab v3 / LR-ASPP
    heads (see the module doc)."""

    name = "torchvision"

    def optional_prefixes(self, state: dict) -> tuple[str, ...]:
        optional = ["fc."]
        weight = state.get("classifier.0.weight")
        if "features.0.0.weight" in state and weight is not None and len(weight.shape) == 2:
            optional.append("classifier.")  # MobileNet / VGG-style Linear classifier
        return tuple(optional)

    def rename_all(self, state: dict) -> dict[str, str | None]:
        keys = list(state)
        renames: dict[str, str] = {}
        for head in HEADS:
            renames.update(_head(head, keys))
        renames.update(_mobilenet_v3(keys))
        prefixes = sorted(renames, key=len, reverse=True)
        out = {}
        for key in keys:
            prefix = next((p for p in prefixes if key.startswith(p)), None)
            key2 = renames[prefix] + key[len(prefix):] if prefix else key
            out[key] = rename(key2, DOWNSAMPLE)
        return out


def _head(head: str, keys: list[str]) -> dict[str, str]:
    """Prefix renames for torchvision's FCNHead / DeepLabHead / LRASPPHead at ``head``."""
    mine = [k for k in keys if k.startswith(head + ".")]
    aux = "aux_" if head.startswith("aux_") else ""
    if any(k.startswith(f"{head}.cbr.") for k in mine):
        return {f"{head}.cbr.0.": f"{head}.cbr.conv.", f"{head}.cbr.1.": f"{head}.cbr.bn.",
                f"{head}.scale.1.": f"{head}.scale."}
    if any(k.startswith(f"{head}.0.convs.") for k in mine):
        branches = sorted({int(k.split(".")[3]) for k in mine if k.startswith(f"{head}.0.convs.")})
        aspp = f"{aux}aspp"
        out = {f"{head}.0.project.0.": f"{aspp}.project.conv.", f"{head}.0.project.1.": f"{aspp}.project.bn.",
               f"{head}.1.": f"{aux}head.conv.", f"{head}.2.": f"{aux}head.bn.", f"{head}.4.": f"{head}."}
        for i in branches[:-1]:
            out[f"{head}.0.convs.{i}.0."] = f"{aspp}.b{i}.conv."
            out[f"{head}.0.convs.{i}.1."] = f"{aspp}.b{i}.bn."
        pool = branches[-1]  # ASPPPooling: avgpool, conv, BN, ReLU
        out[f"{head}.0.convs.{pool}.1."] = f"{aspp}.pool_conv.conv."
        out[f"{head}.0.convs.{pool}.2."] = f"{aspp}.pool_conv.bn."
        return out
    if f"{head}.4.weight" in mine and f"{head}.1.running_mean" in mine:  # FCNHead
        return {f"{head}.0.": f"{aux}head.conv.", f"{head}.1.": f"{aux}head.bn.", f"{head}.4.": f"{head}."}
    return {}


def _mobilenet_v3(keys: list[str]) -> dict[str, str]:
    """Prefix renames for torchvision MobileNetV3 feature lists (``X.N.block.K``)."""
    units: dict[str, dict[int, set[int]]] = {}
    for key in keys:
        m = BNECK.match(key)
        if m:
            units.setdefault(m.group(1), {}).setdefault(int(m.group(2)), set()).add(int(m.group(3)))
    out = {}
    for x, by_index in units.items():
        if f"{x}0.0.weight" not in keys or sorted(by_index) != list(range(1, len(by_index) + 1)):
            continue
        out[f"{x}0.0."], out[f"{x}0.1."] = f"{x}stem.conv.", f"{x}stem.bn."
        last = len(by_index) + 1
        if f"{x}{last}.0.weight" in keys:
            out[f"{x}{last}.0."], out[f"{x}{last}.1."] = f"{x}last.conv.", f"{x}last.bn."
        for n, parts in by_index.items():
            unit = f"{x}bneck.{n - 1}"
            convs = [k for k in sorted(parts) if f"{x}{n}.block.{k}.fc1.weight" not in keys]
            for k in sorted(parts):
                if k not in convs:
                    out[f"{x}{n}.block.{k}."] = f"{unit}.se."
            for k, name in zip(convs, UNIT_NAMES.get(len(convs), ())):
                out[f"{x}{n}.block.{k}.0."] = f"{unit}.{name}.conv."
                out[f"{x}{n}.block.{k}.1."] = f"{unit}.{name}.bn."
    return out

"""The ``torchvision`` weight format: torchvision's module names onto segkit's.

Structures are recognised from the keys of the state dict, so one format serves the
classification backbones and the segmentation models:

- ResNet (``resnet18`` ... ``resnet152`` and the ``backbone.`` of FCN / DeepLab v3):
  the names are the resnet block's already; ``downsample.0/.1`` are its
  ``downsample.conv/.bn``. The classifier ``fc`` is skipped when the model has none.
- VGG (``vgg16().features``): the convs in order onto the vgg16 spec's
  ``conv<stage>.<unit>.conv``; into an FCN-ized VGG (a model with ``fc6``), fc6 / fc7 of
  the classifier become its convs, reshaped.
- MobileNetV2 and MobileNetV3 features (``features.N`` of ``mobilenet_v2`` and
  ``mobilenet_v3_large/_small``, ``backbone.N`` of LR-ASPP / DeepLab v3) onto the
  mobilenetv2 spec's ``stem``, ``s<stage>.<unit>``, ``last`` and the mobilenetv3
  block's ``stem``, ``bneck.i``, ``last``
  (:mod:`segkit.weights.torchvision_features` has the layouts).
- DenseNet (``densenet121`` ... ``densenet201``): the densenet specs use torchvision's
  names under ``features``.
- A classification ``classifier`` (Linear layers: VGG, MobileNet, DenseNet) is skipped
  when the model has none, as ResNet's ``fc``.
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

from segkit.weights.formats import DOWNSAMPLE, Converted, KeyMapFormat, rename
from segkit.weights.torchvision_features import convolutionalize, mobilenet_v2, mobilenet_v3, vgg

HEADS = ("classifier", "aux_classifier")


class TorchvisionFormat(KeyMapFormat):
    """torchvision's ResNet / VGG / MobileNet / DenseNet backbones and FCN / DeepLab v3 /
    LR-ASPP heads (see the module doc)."""

    name = "torchvision"

    def convert(self, state: dict, model_keys: dict) -> Converted:
        """VGG's fc6 / fc7 become convs when the model has them (FCN-ized VGG: the
        vgg16 spec with ``fcn`` or ``largefov``); otherwise they stay the classifier,
        skipped like ResNet's ``fc``."""
        if any(key.endswith("fc6.conv.weight") for key in model_keys):
            state = convolutionalize(state)
        return super().convert(state, model_keys)

    def optional_prefixes(self, state: dict) -> tuple[str, ...]:
        return ("fc.", "classifier.") if _linear_classifier(state) else ("fc.",)

    def rename_all(self, state: dict) -> dict[str, str | None]:
        keys = list(state)
        renames: dict[str, str] = {}
        for head in HEADS:
            renames.update(_head(head, keys))
        renames.update(mobilenet_v3(keys))
        renames.update(mobilenet_v2(keys))
        renames.update(vgg(state))
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


def _linear_classifier(state: dict) -> bool:
    """The state dict has a classification ``classifier`` (ImageNet Linear layers: VGG,
    MobileNet, DenseNet), which a backbone spec has no counterpart for."""
    return any(k.startswith("classifier.") and k.endswith(".weight") and len(v.shape) == 2
               for k, v in state.items())

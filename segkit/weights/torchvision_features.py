"""torchvision's numbered ``features`` Sequentials onto the named nodes of segkit's
backbone specs (part of the ``torchvision`` weight format).

torchvision's VGG and MobileNets keep their layers in an ``nn.Sequential`` (``features.N``);
the specs in ``specs/backbones`` and the mobilenetv3 block name them by stage and unit.
Each function here recognises one structure from the keys (and shapes) of a state dict
and returns prefix renames ``{source prefix: model prefix}``; the prefix ``X`` before the
index (``features.``, ``backbone.``) is kept, and later moved under the model's backbone
node by prefix alignment. A state dict of another structure gives no renames.
"""
from __future__ import annotations

import math
import re

VGG_KEY = re.compile(r"^((?:.*\.)?)(\d+)\.(?:weight|bias)$")
MOBILENET_V2_UNIT = re.compile(r"^((?:.*\.)?)(\d+)\.conv\.(\d+)\.")
MOBILENET_V2_STAGES = (1, 2, 3, 4, 3, 3, 1)
"""Units per stage (the n column of Table 2 of the MobileNetV2 paper, torchvision's
``inverted_residual_setting``): features 1..17 are s0.0, s1.0, s1.1, s2.0, ... s6.0."""
MOBILENET_V3_UNIT = re.compile(r"^((?:.*\.)?)(\d+)\.block\.(\d+)\.(.*)$")
MOBILENET_V3_NAMES = {3: ("expand", "depthwise", "project"), 2: ("depthwise", "project")}
FCN_CLASSIFIER = {"classifier.0.": "fc6.conv.", "classifier.3.": "fc7.conv."}
"""torchvision VGG's classifier Linear layers that FCN convolutionalises (fc6, fc7);
``classifier.6`` (the 1000 ImageNet classes) has no counterpart."""


def vgg_convs(state: dict) -> dict[str, list[int]]:
    """``{X: sorted conv indices}`` for each prefix under which the keys are only the
    ``X<N>.weight`` (4-D) and ``X<N>.bias`` of plain convs: torchvision's ``vgg*().features``
    (ReLUs and pools hold no tensors). BN (vgg*_bn) or any other key disqualifies a prefix."""
    found: dict[str, set[int]] = {}
    bad: set[str] = set()
    for key, value in state.items():
        m = VGG_KEY.match(key)
        if m is None:
            continue
        prefix, index = m.group(1), int(m.group(2))
        weight = state.get(f"{prefix}{index}.weight")
        if weight is not None and len(weight.shape) == 4 and f"{prefix}{index}.bias" in state:
            found.setdefault(prefix, set()).add(index)
        else:
            bad.add(prefix)
    out = {}
    for prefix, indices in found.items():
        others = any(k.startswith(prefix) and not VGG_KEY.match(k) for k in state)
        if prefix not in bad and not others and len(indices) >= 2:
            out[prefix] = sorted(indices)
    return out


def vgg(state: dict) -> dict[str, str]:
    """VGG features: the convs in order onto ``conv<stage>.<unit>.conv``. A stage ends at
    a max pool, which shows as a larger gap between conv indices (conv, ReLU, conv vs
    conv, ReLU, pool, conv). fc6 / fc7 of the classifier, once reshaped by
    :func:`convolutionalize`, go onto the spec's ``fc6`` / ``fc7`` convs."""
    out = {}
    for prefix, indices in vgg_convs(state).items():
        step = min(b - a for a, b in zip(indices, indices[1:]))
        stage, unit = 1, 0
        for i, index in enumerate(indices):
            if i and index - indices[i - 1] > step:
                stage, unit = stage + 1, 0
            out[f"{prefix}{index}."] = f"{prefix}conv{stage}.{unit}.conv."
            unit += 1
        if prefix == "features." and _fcn_classifier(state, rank=4):
            out.update({src: prefix + dst for src, dst in FCN_CLASSIFIER.items()})
    return out


def convolutionalize(state: dict) -> dict:
    """``state`` with a torchvision VGG's fc6 / fc7 Linear weights reshaped into the
    kernels of the equivalent convs (Long et al., "Fully Convolutional Networks", CVPR
    2015, Sec. 3.1): fc6 (4096 x 512*7*7) is a 7x7 conv on the 512 maps of conv5_3, fc7
    (4096 x 4096) a 1x1 conv. torchvision flattens the pooled map channel-major, so the
    reshape is exact. Other state dicts are returned unchanged."""
    convs = vgg_convs(state).get("features.")
    if not convs or not _fcn_classifier(state, rank=2):
        return state
    channels = state[f"features.{convs[-1]}.weight"].shape[0]
    out = dict(state)
    for key in ("classifier.0.weight", "classifier.3.weight"):
        weight = state[key]
        rows, cols = weight.shape
        kernel = math.isqrt(cols // channels)
        if kernel * kernel * channels != cols:
            return state
        out[key] = weight.reshape(rows, channels, kernel, kernel)
        channels = rows
    return out


def _fcn_classifier(state: dict, rank: int) -> bool:
    """torchvision VGG's classifier (Linear at 0, 3 and 6, ReLU and dropout between),
    with fc6 / fc7 weights of ``rank`` (2: as saved, 4: convolutionalised)."""
    weights = [state.get(f"classifier.{i}.weight") for i in (0, 3, 6)]
    return all(w is not None for w in weights) and len(weights[2].shape) == 2 \
        and all(len(w.shape) == rank for w in weights[:2])


def mobilenet_v2(keys: list[str]) -> dict[str, str]:
    """MobileNetV2 features (``X.N.conv.K``; torchvision ``mobilenet_v2().features``, any
    width): 0 is the stem, 1..17 the inverted residuals ``s<stage>.<unit>`` by
    MOBILENET_V2_STAGES, 18 the last 1x1 conv. In a unit with expansion (t != 1),
    ``conv.0`` / ``conv.1`` (Conv2dNormActivation: ``.0`` conv, ``.1`` BN) are expand and
    depthwise and ``conv.2`` / ``conv.3`` the projection's conv and BN; with t = 1 (the
    first unit) there is no expand, so depthwise is ``conv.0`` and the projection
    ``conv.1`` / ``conv.2``."""
    units: dict[str, set[int]] = {}
    for key in keys:
        m = MOBILENET_V2_UNIT.match(key)
        if m:
            units.setdefault(m.group(1), set()).add(int(m.group(2)))
    out = {}
    count = sum(MOBILENET_V2_STAGES)
    for x, indices in units.items():
        if sorted(indices) != list(range(1, count + 1)) or f"{x}0.0.weight" not in keys:
            continue
        out[f"{x}0.0."], out[f"{x}0.1."] = f"{x}stem.conv.", f"{x}stem.bn."
        out[f"{x}{count + 1}.0."], out[f"{x}{count + 1}.1."] = f"{x}last.conv.", f"{x}last.bn."
        places = [(stage, unit) for stage, n in enumerate(MOBILENET_V2_STAGES) for unit in range(n)]
        for n, (stage, unit) in enumerate(places, start=1):
            src, dst = f"{x}{n}.conv.", f"{x}s{stage}.{unit}."
            if f"{src}3.weight" in keys:  # expand, depthwise, project conv, project BN
                parts = {"0.0.": "expand.conv.", "0.1.": "expand.bn.", "1.0.": "depthwise.conv.",
                         "1.1.": "depthwise.bn.", "2.": "project.conv.", "3.": "project.bn."}
            else:
                parts = {"0.0.": "depthwise.conv.", "0.1.": "depthwise.bn.", "1.": "project.conv.",
                         "2.": "project.bn."}
            out.update({src + a: dst + b for a, b in parts.items()})
    return out


def mobilenet_v3(keys: list[str]) -> dict[str, str]:
    """MobileNetV3 features (``X.N.block.K``; ``mobilenet_v3_large/_small().features``,
    the ``backbone.`` of LR-ASPP / DeepLab v3): 0 is the mobilenetv3 block's ``stem``,
    1..K its ``bneck.0`` .. ``bneck.{K-1}`` (``block.i`` in order: ``expand`` when
    present, ``depthwise``, ``se``, ``project``; ``.0/.1`` are ``.conv/.bn``), the final
    index its ``last``."""
    units: dict[str, dict[int, set[int]]] = {}
    for key in keys:
        m = MOBILENET_V3_UNIT.match(key)
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
            for k, name in zip(convs, MOBILENET_V3_NAMES.get(len(convs), ())):
                out[f"{x}{n}.block.{k}.0."] = f"{unit}.{name}.conv."
                out[f"{x}{n}.block.{k}.1."] = f"{unit}.{name}.bn."
    return out

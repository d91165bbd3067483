"""The plugin to install (or allow) when an unknown name is one that segkit's own plugin
packages provide."""
from __future__ import annotations

import importlib.metadata
import os

PLUGIN_NAMES: dict[str, dict[str, frozenset[str]]] = {
    "segkit-crf": {
        "block": frozenset({"crf"}),
        "postprocessor": frozenset({"crf"}),
    },
    "segkit-saliency": {
        "spec": frozenset({"ucnet"}),
        "block": frozenset({"reparameterize", "train_switch", "gaussian_encoder", "triple_conv", "rcab",
                            "dense_aspp_head"}),
        "dataset": frozenset({"rgbd_saliency"}),
        "metric": frozenset({"mae", "f_measure", "s_measure", "e_measure", "saliency"}),
        "loss": frozenset({"kl_gaussian"}),
    },
}
"""What the plugin packages in segkit's ``plugins/`` folder register, by distribution and
kind: the one place that knows which plugin an unknown name comes from (so ``segkit
build ucnet`` without segkit-saliency says ``pip install segkit-saliency``).
tests/plugins/test_plugins.py keeps it equal to what the plugins register; a plugin shipped
with segkit adds its names here."""


def plugin_hint(kind: str, name: str, loaded: set[str]) -> str | None:
    """How to get ``name`` (of ``kind``) when a segkit plugin not among the ``loaded``
    distributions provides it: install it, or, where it is installed but was not
    loaded, that SEGKIT_PLUGINS leaves it out (or where to see why). None otherwise."""
    dist = next((d for d, kinds in PLUGIN_NAMES.items() if name in kinds.get(kind, ())), None)
    if dist is None or dist in loaded:
        return None
    try:
        importlib.metadata.distribution(dist)
    except importlib.metadata.PackageNotFoundError:
        return f"{kind} {name!r} comes with the {dist} plugin: pip install {dist}"
    setting = os.environ.get("SEGKIT_PLUGINS")
    why = f"SEGKIT_PLUGINS={setting!r} leaves it out" if setting is not None else "`segkit plugins` shows why"
    return f"{kind} {name!r} comes with the {dist} plugin, which is installed but not loaded: {why}"

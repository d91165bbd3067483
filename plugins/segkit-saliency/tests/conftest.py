"""Fixtures of the segkit-saliency tests: a fresh plugin manager with this plugin
registered (installed or not), fake entry points, and one torch thread for tiny tensors."""
from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

import pytest

try:  # the tests also run from a checkout where the package is not installed
    import segkit_saliency  # noqa: F401
except ModuleNotFoundError:  # pragma: no cover
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from hypothesis import settings

from segkit.plugins.manager import get_plugin_manager
from segkit.plugins.registry import Registry

torch.set_num_threads(1)
# the profiles of segkit's own tests: ci (default, quick) and dev (thorough)
settings.register_profile("ci", max_examples=25, deadline=None)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def saliency_registry() -> Registry:
    """segkit's built-ins plus ``segkit_saliency.plugin``, without installed entry points."""
    import segkit_saliency.plugin

    plugins = get_plugin_manager(load_entry_points=False)
    plugins.manager.register(segkit_saliency.plugin, name="saliency")
    plugins.dists["saliency"] = "segkit-saliency"
    return Registry.from_plugins(plugins)


@pytest.fixture(scope="session")
def registry() -> Registry:
    return saliency_registry()


@pytest.fixture
def fake_entry_points(monkeypatch):
    """The entry points segkit sees (a list to append to); the process-wide default
    registry is rebuilt from them and reset afterwards."""
    from segkit.api import default_registry

    points = []

    def entry_points(group=None):
        assert group == "segkit"
        return list(points)

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    monkeypatch.delenv("SEGKIT_PLUGINS", raising=False)
    default_registry.cache_clear()
    yield points
    default_registry.cache_clear()

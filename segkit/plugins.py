"""The plugin manager: built-ins and installed plugins register through the same hooks.

Installed plugins are found through the ``segkit`` entry-point group. The
``SEGKIT_PLUGINS`` environment variable controls which load: unset loads all, ``none``
(or empty) loads none, and a comma-separated list allow-lists entry-point or
distribution names. A plugin that fails to import is recorded, not raised, so commands
that do not need it keep working.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import os
from dataclasses import dataclass, field

import pluggy

from segkit import hookspecs

ENTRY_POINT_GROUP = "segkit"
BUILTIN_PLUGINS = (
    "segkit.ops.conv",
    "segkit.ops.norm",
    "segkit.ops.activation",
    "segkit.ops.pool",
    "segkit.ops.resize",
    "segkit.ops.merge",
    "segkit.ops.channels",
    "segkit.ops.misc",
    "segkit.blocks",
    "segkit.specs_builtin",
    "segkit.data",
    "segkit.weights",
)


@dataclass
class PluginFailure:
    """A plugin that could not be loaded or whose hook raised."""

    name: str
    dist: str
    cause: str


def _allowed(names: set[str]) -> bool:
    setting = os.environ.get("SEGKIT_PLUGINS")
    if setting is None:
        return True
    allowed = {s.strip() for s in setting.split(",") if s.strip() and s.strip().lower() != "none"}
    return bool(names & allowed)


@dataclass
class Plugins:
    """A plugin manager plus what went wrong while loading plugins."""

    manager: pluggy.PluginManager
    dists: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)


def get_plugin_manager(load_entry_points: bool = True) -> Plugins:
    """A fresh plugin manager with the built-ins and (optionally) installed plugins."""
    pm = pluggy.PluginManager("segkit")
    pm.add_hookspecs(hookspecs)
    plugins = Plugins(pm)
    for module_name in BUILTIN_PLUGINS:
        module = importlib.import_module(module_name)
        pm.register(module, name=module_name)
        plugins.dists[module_name] = "segkit"
    if load_entry_points:
        _load_entry_points(plugins)
    return plugins


def _load_entry_points(plugins: Plugins) -> None:
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else ep.name
        if not _allowed({ep.name, dist}):
            continue
        if plugins.manager.get_plugin(ep.name) is not None:
            continue
        try:
            plugin = ep.load()
            plugins.manager.register(plugin, name=ep.name)
        except Exception as exc:  # a broken plugin must not break segkit
            plugins.failures.append(PluginFailure(ep.name, dist, f"{type(exc).__name__}: {exc}"))
            continue
        plugins.dists[ep.name] = dist
        plugins.versions[ep.name] = ep.dist.version if ep.dist is not None else "?"

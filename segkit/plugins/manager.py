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

from segkit.plugins import hookspecs

ENTRY_POINT_GROUP = "segkit"
BUILTIN_PLUGINS = (
    # primitive ops, one family per module
    "segkit.ops.conv", "segkit.ops.norm", "segkit.ops.activation", "segkit.ops.pool", "segkit.ops.resize",
    "segkit.ops.merge", "segkit.ops.channels", "segkit.ops.misc", "segkit.ops.padding", "segkit.ops.channel_norm",
    "segkit.ops.residual",
    # blocks of the literature: the YAML ones, then one module per Python block family
    "segkit.blocks.yaml_blocks", "segkit.blocks.crp", "segkit.blocks.mrf", "segkit.blocks.refinenet",
    "segkit.blocks.dense_block", "segkit.blocks.vgg_stage", "segkit.blocks.context_encoding", "segkit.blocks.aspp",
    "segkit.blocks.ppm", "segkit.blocks.jpu", "segkit.blocks.dense_aspp", "segkit.blocks.enet_initial",
    "segkit.blocks.enet_bottleneck", "segkit.blocks.esp", "segkit.blocks.cff", "segkit.blocks.se", "segkit.blocks.fcn",
    "segkit.blocks.split_attention",
    # the shipped specs, datasets, metrics and losses, weight formats
    "segkit_specs", "segkit.data.plugin", "segkit.train.plugin", "segkit.weights.plugin",
)
"""segkit's own plugins: hookimpl modules, loaded by name through the same
:func:`load_plugin` as an installed package's entry point (as pytest loads its
``default_plugins``). Each is torch-free to import."""


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
    version = segkit_version()
    for module_name in BUILTIN_PLUGINS:
        load_plugin(plugins, module_name, "segkit", version, lambda name=module_name: importlib.import_module(name))
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
        load_plugin(plugins, ep.name, dist, ep.dist.version if ep.dist is not None else "?", ep.load)


def load_plugin(plugins: Plugins, name: str, dist: str, version: str, load) -> None:
    """Import a hookimpl module with ``load()`` and register it as plugin ``name`` of
    distribution ``dist``; a plugin that fails to import is recorded, not raised."""
    try:
        plugins.manager.register(load(), name=name)
    except Exception as exc:  # a broken plugin must not break segkit
        plugins.failures.append(PluginFailure(name, dist, f"{type(exc).__name__}: {exc}"))
        return
    plugins.dists[name] = dist
    plugins.versions[name] = version


def segkit_version() -> str:
    """The installed segkit distribution's version ("?" when run from a bare checkout)."""
    return SEGKIT_VERSION


def _installed_version() -> str:
    try:
        return importlib.metadata.version("segkit")
    except importlib.metadata.PackageNotFoundError:
        return "?"


SEGKIT_VERSION = _installed_version()
"""Read once, when segkit is imported."""

"""Names to blocks, specs, datasets, metrics, losses and weight formats, collected from
every plugin's hooks.

A name registered by two plugins is a conflict: it is recorded with both
distributions, and only using that name is an error, so unrelated specs still check.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from segkit.core.block import Block
from segkit.core.suggest import did_you_mean
from segkit.errors import RegistryError, SourceLoc
from segkit.lang.composite import CompositeBlock
from segkit.plugins.install_hints import plugin_hint
from segkit.plugins.manager import PluginFailure, Plugins


@dataclass
class Entry:
    """One registered thing and the plugin and distribution it came from."""

    name: str
    obj: Any
    plugin: str
    dist: str


@dataclass
class Registry:
    """Every registered thing by kind and name, plus conflicts and plugin failures."""

    tables: dict[str, dict[str, Entry]] = field(default_factory=lambda: {kind: {} for kind in KINDS})
    conflicts: dict[tuple[str, str], list[Entry]] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)
    plugins: Plugins | None = None

    @classmethod
    def from_plugins(cls, plugins: Plugins) -> "Registry":
        registry = cls(failures=list(plugins.failures), plugins=plugins)
        for kind, make in KINDS.items():
            hook = getattr(plugins.manager.hook, HOOKS[kind])
            for impl in hook.get_hookimpls():
                plugin = impl.plugin_name
                dist = plugins.dists.get(plugin, plugin)

                def register(obj, name=None, _kind=kind, _make=make, _plugin=plugin, _dist=dist):
                    entry_name, value = _make(obj, name, registry)
                    registry._add(_kind, Entry(entry_name, value, _plugin, _dist))

                try:
                    impl.function(register=register)
                except Exception as exc:  # a broken plugin must not break segkit
                    registry.failures.append(PluginFailure(plugin, dist, f"{type(exc).__name__} in {kind} hook: {exc}"))
        return registry

    @property
    def blocks(self) -> dict[str, Entry]:
        return self.tables["block"]

    @property
    def specs(self) -> dict[str, Entry]:
        return self.tables["spec"]

    def _add(self, kind: str, entry: Entry) -> None:
        table = self.tables[kind]
        key = (kind, entry.name)
        if key in self.conflicts:
            self.conflicts[key].append(entry)
        elif entry.name in table:
            self.conflicts[key] = [table.pop(entry.name), entry]
        else:
            table[entry.name] = entry

    def get(self, kind: str, name: str, loc: SourceLoc | None = None):
        """The object registered as ``name`` of ``kind`` ("dataset", "metric", ...)."""
        return self._lookup(kind, name, loc).obj

    def _lookup(self, kind: str, name: str, loc: SourceLoc | None) -> Entry:
        table = self.tables[kind]
        if name in table:
            return table[name]
        clash = self.conflicts.get((kind, name))
        if clash:
            who = " and ".join(f"{e.dist} ({e.plugin})" for e in clash)
            raise RegistryError(f"{kind} {name!r} is registered by both {who}", loc,
                                "uninstall one of them, or allow-list plugins with SEGKIT_PLUGINS")
        loaded = {e.dist for entries in self.tables.values() for e in entries.values()}
        hint = "; ".join(h for h in (plugin_hint(kind, name, loaded), did_you_mean(name, table)) if h)
        if not hint:
            dists = sorted({e.dist for e in table.values()})
            hint = f"installed plugins: {', '.join(dists)}; `segkit {kind}s` lists every {kind}"
        broken = [f for f in self.failures]
        if broken:
            hint += "; plugins that failed to load: " + ", ".join(f"{f.dist} ({f.cause})" for f in broken)
        raise RegistryError(f"unknown {kind} {name!r}", loc, hint)

    def block(self, name: str, loc: SourceLoc | None = None):
        """The Block (Python) or CompositeBlock (YAML) registered as ``name``."""
        return self._lookup("block", name, loc).obj

    def spec_path(self, name: str, loc: SourceLoc | None = None) -> Path:
        """The file of the spec registered as ``name``."""
        return self._lookup("spec", name, loc).obj


def _make_block(obj, name, registry):
    if isinstance(obj, Path):
        block_name = name or obj.stem
        return block_name, CompositeBlock(block_name, obj, registry)
    if inspect.isclass(obj) and issubclass(obj, Block):
        obj = obj()
    if not isinstance(obj, Block):
        raise TypeError(f"register() takes a Block or a pathlib.Path, not {type(obj).__name__}")
    return name or obj.name, obj


def _make_spec(obj, name, registry):
    if not isinstance(obj, Path):
        raise TypeError(f"register() takes a pathlib.Path to a spec, not {type(obj).__name__}")
    return name or obj.stem, obj


def _make_named(obj, name, registry):
    """Datasets, metrics, losses, weight formats: named by ``name=`` or their ``name``."""
    name = name or getattr(obj, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"register() needs a name for {obj!r}: pass name=... or give it a 'name' attribute")
    return name, obj


HOOKS = {"block": "segkit_register_blocks", "spec": "segkit_register_specs",
         "dataset": "segkit_register_datasets", "metric": "segkit_register_metrics",
         "loss": "segkit_register_losses", "weight_format": "segkit_register_weight_formats",
         "postprocessor": "segkit_register_postprocessors"}
KINDS = {"block": _make_block, "spec": _make_spec, "dataset": _make_named, "metric": _make_named,
         "loss": _make_named, "weight_format": _make_named, "postprocessor": _make_named}


"""What each plugin registers, for ``segkit plugins``."""
from __future__ import annotations

import importlib.metadata

from segkit.plugins.registry import Registry

PLURAL = {"loss": "losses"}


def plugin_rows(registry: Registry) -> list[tuple[str, str, str, str]]:
    """(plugin, distribution, version, "blocks: a, b; specs: c") per plugin."""
    by_plugin: dict[str, dict[str, list[str]]] = {}
    dists: dict[str, str] = {}
    entries = [(kind, e) for kind, table in registry.tables.items() for e in table.values()]
    entries += [(kind, e) for (kind, _), clash in registry.conflicts.items() for e in clash]
    for kind, entry in entries:
        by_plugin.setdefault(entry.plugin, {}).setdefault(kind, []).append(entry.name)
        dists[entry.plugin] = entry.dist
    rows = []
    versions = registry.plugins.versions if registry.plugins else {}
    for plugin, kinds in by_plugin.items():
        dist = dists[plugin]
        version = versions.get(plugin) or _version(dist)
        what = "; ".join(f"{PLURAL.get(kind, kind + 's')}: {', '.join(sorted(names))}"
                         for kind, names in sorted(kinds.items()))
        rows.append((plugin, dist, version, what))
    return rows


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"

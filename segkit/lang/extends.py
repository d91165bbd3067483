"""``extends``: a spec inherits another and overrides keys.

Merging is by key: ``params``, ``inputs`` and ``outputs`` merge entry by entry;
``nodes`` merge by id, and within a node by key, unless the child gives a different
``block`` (then the node is replaced). A node or entry set to ``null`` is removed.
``checks`` add up: the child's come after the base's.
Locations stay with the file that provided each key, so ``segkit merge`` can say
where every value came from.
"""
from __future__ import annotations

from pathlib import Path

from segkit.errors import RegistryError, SpecSchemaError

_MERGED = ("params", "inputs", "outputs")
_MAX_DEPTH = 16


def merge_extends(spec, registry, load, chain: tuple = ()):
    """``spec`` merged over the spec it extends, which ``load(source, chain)`` loads (a
    file, or a spec that ``registry`` finds by name); ``chain`` holds the files being
    loaded (a spec that extends itself, directly or not, is an error, not a recursion)."""

    ref = spec.data["extends"]
    loc = spec.loc("extends")
    if not isinstance(ref, str) or not ref:
        raise SpecSchemaError(f"'extends' takes a spec file or name, got {ref!r}", loc)
    chain = chain + ((spec.path.resolve(),) if spec.path else ())
    if len(chain) > _MAX_DEPTH:
        raise SpecSchemaError("'extends' chain is too deep", loc)
    base_dir = spec.path.parent if spec.path else Path.cwd()
    if ref.endswith((".yaml", ".yml")):
        candidate = base_dir / ref
        if not candidate.is_file():
            raise SpecSchemaError(f"cannot find the extended spec {ref!r} (looked in {base_dir})", loc)
        source = candidate
    else:
        try:
            source = spec_registry(registry, ref, loc).spec_path(ref, loc)
        except RegistryError as exc:
            exc.loc = loc
            raise
    if source.resolve() in chain:
        cycle = " -> ".join(p.name for p in (*chain, source.resolve()))
        raise SpecSchemaError(f"'extends' cycle: {cycle}", loc, "a spec cannot extend itself, directly or not")
    base = load(source, chain)

    data = {k: v for k, v in base.data.items() if k != "extends"}
    locs = type(spec.locs)(spec.locs.file)
    locs.graft(base.locs)
    for key, value in spec.data.items():
        if key == "extends":
            continue
        if key in _MERGED and isinstance(value, dict) and isinstance(data.get(key), dict):
            merged = dict(data[key])
            for name, entry in value.items():
                if entry is None and key != "inputs":
                    merged.pop(name, None)
                else:
                    merged[name] = entry
                locs.graft(spec.locs, (key, name), (key, name))
            data[key] = merged
        elif key == "nodes" and isinstance(value, dict):
            merged = dict(data.get("nodes") or {})
            for node_id, node in value.items():
                old = merged.get(node_id)
                if node is None:
                    merged.pop(node_id, None)
                elif old is None or node.get("block", old.get("block")) != old.get("block"):
                    merged[node_id] = node
                    _forget(locs, ("nodes", node_id))
                else:
                    merged[node_id] = {**old, **node}
                locs.graft(spec.locs, ("nodes", node_id), ("nodes", node_id))
            data["nodes"] = merged
        elif key == "checks" and isinstance(value, list) and isinstance(data.get("checks"), list):
            inherited = len(data["checks"])
            data["checks"] = data["checks"] + value
            for j in range(len(value)):
                locs.graft(spec.locs, (key, j), (key, inherited + j))
        else:
            data[key] = value
            _forget(locs, (key,))
            locs.graft(spec.locs, (key,), (key,))
    return type(spec)(data, locs, spec.path, [str(base.path or ref), *base.bases])


def spec_registry(registry, name: str, loc):
    """``registry``, which finding the spec ``name`` needs; a located error without one."""
    if registry is None:
        raise RegistryError(f"spec {name!r} is a name, and no registry was given to find it", loc,
                            "pass registry= (segkit.api.default_registry() has the installed plugins'), "
                            "or name the spec by its file")
    return registry


def _forget(locs, prefix: tuple) -> None:
    for path in [p for p in locs.locs if p[:len(prefix)] == prefix]:
        del locs.locs[path]

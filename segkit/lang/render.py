"""``segkit merge``: the merged spec as YAML, each key annotated with its origin."""
from __future__ import annotations

import yaml

from segkit.lang.schema import Spec


def _flow(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False).strip().removesuffix("...").strip()


def render(spec: Spec, params: dict) -> str:
    """YAML text of ``spec`` with evaluated ``params``; a comment gives each key's file:line."""
    lines = []
    if spec.bases:
        lines.append(f"# {spec.name}: extends {' <- '.join(spec.bases)}")

    def origin(*path) -> str:
        loc = spec.locs.at(path)
        return f"  # {loc.file}:{loc.line}" if loc.line else ""

    for key, value in spec.data.items():
        if key == "extends":
            continue
        if key == "params":
            lines.append("params:")
            for name, evaluated in params.items():
                raw = spec.params.get(name)
                note = f" (from {_flow(raw)})" if raw != evaluated else ""
                lines.append(f"  {name}: {_flow(evaluated)}{origin('params', name)}{note}")
        elif isinstance(value, dict) and value:
            lines.append(f"{key}:")
            for name, entry in value.items():
                lines.append(f"  {name}: {_flow(entry)}{origin(key, name)}")
        else:
            lines.append(f"{key}: {_flow(value)}{origin(key)}")
    return "\n".join(lines)

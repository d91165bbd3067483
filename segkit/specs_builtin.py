"""Registers the shipped architecture specs (``specs/*.yaml``, ``specs/*/*.yaml``) by name,
so ``segkit build refinenet`` works from any directory."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from segkit.hookspecs import hookimpl


def specs_dir() -> Path | None:
    """Where the shipped specs live: the ``segkit_specs`` package (the repo's specs/)."""
    try:
        return Path(str(resources.files("segkit_specs")))
    except ModuleNotFoundError:
        return None


@hookimpl
def segkit_register_specs(register):
    root = specs_dir()
    if root is None:
        return
    for path in sorted(root.glob("*.yaml")):
        register(path)
    for path in sorted(root.glob("*/*.yaml")):
        register(path, name=f"{path.parent.name}/{path.stem}")

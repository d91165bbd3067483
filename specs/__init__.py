"""The shipped architecture specs (installed as the package ``segkit_specs``), and the
built-in plugin that registers them by name (``specs/*.yaml`` as ``NAME``,
``specs/*/*.yaml`` as ``FOLDER/NAME``), so ``segkit build refinenet`` works from any
directory."""
from __future__ import annotations

from pathlib import Path

from segkit.plugins.hookspecs import hookimpl

HERE = Path(__file__).parent


@hookimpl
def segkit_register_specs(register):
    for path in sorted(HERE.glob("*.yaml")):
        register(path)
    for path in sorted(HERE.glob("*/*.yaml")):
        register(path, name=f"{path.parent.name}/{path.stem}")

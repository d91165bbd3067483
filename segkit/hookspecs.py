"""pluggy hook specifications of segkit (project name ``segkit``).

Hooks are register-callback style: each receives a ``register`` function and calls it
once per thing it provides. Registration must be cheap: no torch import, no file
parsing; heavy work belongs in a block's ``build``.
"""
from __future__ import annotations

from typing import Callable

import pluggy

hookspec = pluggy.HookspecMarker("segkit")
hookimpl = pluggy.HookimplMarker("segkit")


@hookspec
def segkit_register_blocks(register: Callable) -> None:
    """Register blocks that spec nodes can call.

    ``register(block)`` takes a :class:`segkit.Block` subclass or instance (a Python
    block), or ``register(path, name=None)`` with a ``pathlib.Path`` to a YAML spec that
    becomes a composite block named after the file (or ``name``).
    """


@hookspec
def segkit_register_specs(register: Callable) -> None:
    """Register whole-network specs that commands accept by name.

    ``register(path, name=None)``: a ``pathlib.Path`` to a YAML spec, named after the
    file unless ``name`` is given; ``segkit build NAME`` then finds it.
    """

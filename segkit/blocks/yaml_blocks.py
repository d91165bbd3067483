"""The built-in plugin that registers the composite blocks written as YAML sub-specs in
this folder (``resnet``, ``rcu``, ``conv_bn_act``, ...), each named after its file."""
from __future__ import annotations

from pathlib import Path

from segkit.plugins.hookspecs import hookimpl

HERE = Path(__file__).parent


@hookimpl
def segkit_register_blocks(register):
    for path in sorted(HERE.glob("*.yaml")):
        register(path)

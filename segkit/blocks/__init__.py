"""Composite blocks of the literature, shipped as YAML sub-specs in this folder (and
Python blocks where the spec language cannot say it), registered like any plugin's."""
from __future__ import annotations

from pathlib import Path

from segkit.hookspecs import hookimpl

HERE = Path(__file__).parent


@hookimpl
def segkit_register_blocks(register):
    for path in sorted(HERE.glob("*.yaml")):
        register(path)
    # Python blocks (macros where the number of inputs varies); importing them needs no torch
    from segkit.blocks import context_encoding, crp, dense_block, mrf, refinenet, vgg_stage
    from segkit.blocks import aspp, dense_aspp, jpu, ppm

    for module in (crp, mrf, refinenet, dense_block, vgg_stage, context_encoding, aspp, ppm, jpu, dense_aspp):
        module.segkit_register_blocks(register)
    from segkit.blocks import cff, enet_bottleneck, enet_initial, esp, se

    for module in (enet_initial, enet_bottleneck, esp, cff, se):
        module.segkit_register_blocks(register)
    from segkit.blocks import fcn

    fcn.segkit_register_blocks(register)

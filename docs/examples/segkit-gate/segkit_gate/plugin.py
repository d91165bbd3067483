"""Registers the gate block (Python) and the gated_unit block (YAML) with segkit."""
from pathlib import Path

from segkit.plugin import hookimpl
from segkit_gate.block import Gate


@hookimpl
def segkit_register_blocks(register):
    register(Gate)
    register(Path(__file__).parent / "gated_unit.yaml")

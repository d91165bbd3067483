"""Registers the blocks and a lazily imported dataset, with segkit 0.1's hook marker and
Lazy handle."""
from segkit.data.lazy import Lazy
from segkit.hookspecs import hookimpl

from segkit_frozen.block import FrozenGate, FrozenRepeat


@hookimpl
def segkit_register_blocks(register):
    register(FrozenGate)
    register(FrozenRepeat)


@hookimpl
def segkit_register_datasets(register):
    register(Lazy("segkit.data.synthetic:SyntheticShapes", "frozen_shapes", "synthetic shapes, registered lazily"))

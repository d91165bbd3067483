"""The plugin's own tests: one line gives a property test of the block against PyTorch."""
from segkit_gate.block import Gate

from segkit.plugin import block_test

test_gate_matches_torch = block_test(Gate)

"""The plugin's own tests: one line gives a property test of the block against PyTorch."""
from segkit.testing import block_test

from segkit_gate.block import Gate

test_gate_matches_torch = block_test(Gate)

"""The plugin's own tests, as its author wrote them for segkit 0.1."""
from segkit.registry import default_registry
from segkit_frozen.block import FrozenGate

from segkit.testing import block_test

test_gate_matches_torch = block_test(FrozenGate)


def test_registered_under_their_names():
    registry = default_registry()
    assert registry.block("frozen_gate").name == "frozen_gate"
    assert registry.block("frozen_repeat").name == "frozen_repeat"
    assert registry.get("dataset", "frozen_shapes").name == "frozen_shapes"

"""Hypothesis profiles: ``ci`` (default, quick) and ``dev`` (thorough); pick one with
the HYPOTHESIS_PROFILE environment variable. Fixture ``failing_dot``: a broken Graphviz."""
import os

import pytest
from hypothesis import settings

settings.register_profile("ci", max_examples=25, deadline=None)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Tests run tiny tensors: one intra-op thread avoids oversubscribing small CI machines,
# where torch's default thread pool makes millisecond ops take tens of milliseconds.
try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is a dependency
    pass


@pytest.fixture
def failing_dot(tmp_path):
    """A ``dot`` executable that fails as a broken Graphviz does: a message on stderr, exit 1."""
    path = tmp_path / "bin" / "dot"
    path.parent.mkdir()
    path.write_text("#!/bin/sh\necho 'Error: <stdin>: syntax error in line 1 near x' >&2\nexit 1\n")
    path.chmod(0o755)
    return str(path)

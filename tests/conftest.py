"""Hypothesis profiles: ``ci`` (default, quick) and ``dev`` (thorough); pick one with
the HYPOTHESIS_PROFILE environment variable."""
import os

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

"""Fixtures of the segkit-crf tests (``pytest plugins/segkit-crf/tests``): a fresh plugin
manager with this plugin registered (installed or not), and one torch thread."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

try:  # the tests also run from a checkout where the package is not installed
    import segkit_crf  # noqa: F401
except ModuleNotFoundError:  # pragma: no cover
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from hypothesis import settings

from segkit.plugin import make_registry

# As in segkit's own tests: tiny tensors run faster on one intra-op thread than on a
# thread pool competing with other jobs on small CI machines; the same hypothesis profiles.
torch.set_num_threads(1)
settings.register_profile("ci", max_examples=25, deadline=None)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def crf_registry():
    """segkit's built-ins plus ``segkit_crf.plugin``, without installed entry points."""
    import segkit_crf.plugin

    return make_registry(("crf", segkit_crf.plugin), dist="segkit-crf")


@pytest.fixture(scope="session")
def registry():
    return crf_registry()

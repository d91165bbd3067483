"""Hypothesis profiles: ``ci`` (default, quick) and ``dev`` (thorough); pick one with
the HYPOTHESIS_PROFILE environment variable."""
import os

from hypothesis import settings

settings.register_profile("ci", max_examples=25, deadline=None)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

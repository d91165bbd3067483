"""'Did you mean' hints for unknown names, shared by every stage's errors."""
from __future__ import annotations

import difflib


def did_you_mean(name: str, known) -> str | None:
    """A hint naming the closest known names, or None when nothing is close."""
    matches = difflib.get_close_matches(str(name), [str(k) for k in known], n=3, cutoff=0.6)
    if not matches:
        return None
    return "did you mean " + " or ".join(repr(m) for m in matches) + "?"

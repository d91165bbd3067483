"""Numbers in messages: ``counted(1, "epoch")`` is "1 epoch", ``counted(2, "epoch")``
"2 epochs", so no message says "1 epochs"."""
from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural (``noun + "s"`` unless given) unless ``n`` is 1."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"

"""What an fx node's value becomes while importing: a ``Feature`` (a segkit value, a
map laid out channels-first or, between a permute pair, channels-last), a ``Parts``
tuple of features (a channel split), or a ``Const`` (a parameter, or anything computed
from parameters only, folded at import time)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Feature:
    """A segkit value (``node`` or ``node.output``); ``channels_last`` when the source
    holds it permuted to N x H x W x C, where per-position ops act on the last dim."""

    ref: str
    channels_last: bool = False


@dataclass(frozen=True)
class Parts:
    """The named outputs ``0``, ``1``, ... of a segkit split node."""

    node: str
    count: int


@dataclass(frozen=True)
class Const:
    """A tensor or Python value known at import time."""

    value: Any

"""``CompositeBlock``: a block written as a YAML spec. The resolver expands a call of it
into the spec's nodes; its params, inputs and outputs are the spec's own."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segkit.lang.schema import Spec, load_spec


@dataclass
class CompositeBlock:
    """A block defined by the YAML spec at ``path``; ``registry`` finds the specs it
    ``extends`` by name (None: it may extend files only)."""

    name: str
    path: Path
    registry: Any = None

    @functools.cached_property
    def spec(self) -> Spec:
        return load_spec(self.path, self.registry)

    @property
    def doc(self) -> str:
        return self.spec.description or ""

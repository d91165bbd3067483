"""The state of one import while its fx graph is walked: the value of every fx node
(``values.py``), the spec being built, and the helpers converters share."""
from __future__ import annotations

from dataclasses import dataclass, field

from segkit.importer.builder import SpecBuilder
from segkit.importer.errors import refusal
from segkit.importer.values import Const, Feature, Parts

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.


@dataclass
class Context:
    """One import in progress: ``gm`` the traced source, ``spec`` what is built."""

    gm: object
    spec: SpecBuilder
    values: dict = field(default_factory=dict)

    def value(self, arg):
        """The import-time value of an fx argument: a node's, or a literal as a Const."""
        import torch.fx

        if isinstance(arg, torch.fx.Node):
            return self.values[arg]
        if isinstance(arg, (list, tuple)):
            items = [self.value(a) for a in arg]
            if all(isinstance(i, Const) for i in items):
                return Const(type(arg)(i.value for i in items))
            return items
        return Const(arg)

    def feature(self, node, op: str, arg, channels_last: bool | None = False) -> Feature:
        """``arg`` as a Feature, refused if it is not one, or not in the layout the op
        needs (``channels_last`` None: any layout)."""
        value = self.value(arg)
        if not isinstance(value, Feature):
            raise refusal(node, op, f"expects a feature map, got {type(value).__name__.lower()}")
        if channels_last is not None and value.channels_last != channels_last:
            layout = "channels-last (N x H x W x C)" if value.channels_last else "channels-first"
            raise refusal(node, op, f"acts on a {layout} tensor along a dim segkit cannot express",
                          "per-position ops between a permute pair are imported; others are not")
        return value

    def emit(self, block, name: str, sources: list[Feature], state=None, **params) -> Feature:
        """Emit ``block`` on ``sources`` (all of one layout); the result keeps it."""
        ident = self.spec.emit(block, name, [s.ref for s in sources], state, **params)
        return Feature(ident, sources[0].channels_last)

    def part(self, parts: Parts, k: int) -> Feature:
        return Feature(f"{parts.node}.{k}")

"""A block that declares no geometry: its stride comes from its sizes, its receptive
field is unknown (``?``) and stays unknown downstream until a global block; never a
guessed number."""
from __future__ import annotations

import types

import segkit
from segkit.plugin import Block, Inference, Shape, hookimpl
from segkit.testing import make_registry


class Mystery(Block):
    """Halves the size; says nothing of how."""

    name = "mystery"

    def infer(self, p, x: Shape) -> Inference:
        return Inference({"out": x.with_spatial(s // 2 for s in x.spatial)})


SPEC = """\
segkit: 1
name: t
inputs: {x: 3}
nodes:
  conv: {block: conv, from: x, out: 4, kernel: 3}
  m: {block: mystery}
  after: {block: conv, out: 4, kernel: 3}
  pool: {block: global_avgpool}
outputs: {out: after, pooled: pool}
"""


def test_an_undeclared_geometry_shows_an_unknown_receptive_field():
    registry = make_registry(("mystery-plugin", types.SimpleNamespace(
        segkit_register_blocks=hookimpl(lambda register: register(Mystery)))))
    report = segkit.check(SPEC, "3x32x32", registry)
    assert report["conv"].receptive_field == "3"
    assert (report["m"].stride, report["m"].receptive_field) == ("2", "?")
    assert (report["after"].stride, report["after"].receptive_field) == ("2", "?")
    assert report["pool"].receptive_field == "global"

"""Every shipped spec checks, builds, and runs forward and backward on a small input
with compiled shapes equal to the static ones (issue: backbones and seed architectures)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

import segkit

ROOT = Path(__file__).resolve().parents[2] / "specs"
SPECS = sorted(p for p in ROOT.rglob("*.yaml"))


def small_input(report) -> dict[str, segkit.Shape]:
    """The smallest accepted size >= 64 (>= 16 for rank 3) for every input."""
    rules = report.accepted_sizes
    shapes = {}
    for name, shape in report.input_shapes.items():
        floor = 16 if shape.rank == 3 else 64
        spatial = tuple(next(s for s in range(floor, 2048) if rule.accepts(s)) for rule in rules)
        shapes[name] = shape.with_spatial(spatial)
    return shapes


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_spec_checks_builds_and_runs_forward_backward(path):
    shapes = small_input(segkit.check(path))
    report = segkit.check(path, input=shapes)
    model = segkit.build(path, input=shapes).train()
    torch.manual_seed(0)
    xs = [torch.randn(2, *s.as_tuple()) for s in shapes.values()]
    out = model(*xs)
    outs = out if isinstance(out, dict) else {next(iter(report.outputs)): out}
    for name, tensor in outs.items():
        assert tuple(tensor.shape) == (2, *report.outputs[name].as_tuple()), name
    sum(t.float().mean() for t in outs.values()).backward()
    assert report.params == sum(p.numel() for p in model.parameters())

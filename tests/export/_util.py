"""Shared cases of the export tests: the example specs at toy width and small inputs."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
EXAMPLES = {
    "fcn8s_tiny": (SPECS / "examples/fcn8s_tiny.yaml", "3x64x64", {"width": 8}),
    "segnet_tiny": (SPECS / "examples/segnet_tiny.yaml", "3x48x48", {"width": 8}),
    "unet_valid_tiny": (SPECS / "examples/unet_valid_tiny.yaml", "1x92x92", {"width": 4}),
}


def adaptive_spec(size: int = 3, op: str = "adaptive_avgpool") -> str:
    """A spec whose node 'pool' pools adaptively to ``size`` (line 7 of the text)."""
    return f"""segkit: 1
name: adaptive
inputs:
  image: 3
nodes:
  conv: {{block: conv, from: image, out: 4}}
  pool: {{block: {op}, size: {size}}}
  up: {{block: resize, like: image}}
outputs:
  out: up
"""

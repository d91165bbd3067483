"""`segkit build SPEC --input Cx512x512` completes for every shipped spec and its summary
shows the accepted input sizes, those of a few specs as known (issue: backbones and seed
architectures, acceptance).

The channel count is the spec's own (``in_channels``: 1 for the 2015 U-Net, 3 for the
ImageNet backbones), and a volumetric spec gets 512 in each of its three spatial dims;
giving another channel count is a located user error whose hint names the right
``--input``, and ``--set in_channels=3`` builds the spec for RGB.

The command runs in-process with torch's default device set to meta: the same check,
compile and summary, without filling ~1.5 G parameters with random numbers on two
cores (56 s instead of 20 s for all specs; the CPU build itself is covered by
test_every_spec.py, at smaller sizes). The compiled module then runs at 512 on the meta
device (shapes without compute), where every output must have the static shape.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import segkit
from segkit.cli import main

ROOT = Path(__file__).resolve().parents[2] / "specs"
SPECS = sorted(ROOT.rglob("*.yaml"))
SIZE = 512
KNOWN_SIZES = {
    "unet_small.yaml": "H, W a multiple of 16, >= 16",
    "unet3d.yaml": "D, H, W a multiple of 8, >= 8",
    "unet.yaml": "H, W >= 188",
    "fcn8s.yaml": "H, W >= 1",
    "refinenet.yaml": "H, W >= 1",
    "pspnet.yaml": "H, W >= 41",
}
"""The accepted sizes of a few specs, as `segkit check NAME` states them (the test above
otherwise compares the CLI with the same function it calls)."""


def at_512(path) -> dict[str, segkit.Shape]:
    """Every input of the spec with its own channels and 512 in each spatial dim."""
    return {name: shape.with_spatial((SIZE,) * shape.rank) for name, shape in segkit.check(path).input_shapes.items()}


def input_args(shapes: dict[str, segkit.Shape]) -> list[str]:
    return [arg for name, shape in shapes.items() for arg in ("--input", f"{name}={shape}")]


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_segkit_build_at_512_completes_and_shows_the_accepted_sizes(path):
    shapes = at_512(path)
    report = segkit.check(path, input=shapes)
    with torch.device("meta"):
        result = CliRunner().invoke(main, ["build", str(path), *input_args(shapes)])
    assert result.exit_code == 0, result.output
    assert f"accepted input sizes: {report.describe_sizes()}" in result.output
    known = KNOWN_SIZES.get(path.relative_to(ROOT).as_posix())
    if known:
        assert f"accepted input sizes: {known}" in result.output.splitlines()
    assert f"with {report.params:,} parameters" in result.output.split("compiled: ")[-1]


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_spec_at_512_gives_the_static_shapes(path):
    shapes = at_512(path)
    report = segkit.check(path, input=shapes)
    with torch.device("meta"):
        model = segkit.build(path, input=shapes).train()  # training mode: every output
        out = model(*[torch.empty(2, *s.as_tuple()) for s in shapes.values()])
    outs = out if isinstance(out, dict) else {next(iter(report.outputs)): out}
    assert {name: tuple(t.shape) for name, t in outs.items()} == \
        {name: (2, *shape.as_tuple()) for name, shape in report.outputs.items()}


def test_an_rgb_input_to_the_one_channel_unet_is_a_located_error_and_in_channels_3_builds_it():
    runner = CliRunner()
    wrong = runner.invoke(main, ["build", "unet", "--input", "3x512x512"])
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output
    assert "unet.yaml:27:3: error: input 'image' has 1 channels, but 3x512x512 was given" in wrong.output
    assert "hint: use --input 1x512x512" in wrong.output
    rgb = runner.invoke(main, ["build", "unet", "--set", "in_channels=3", "--input", "3x512x512"])
    assert rgb.exit_code == 0, rgb.output
    assert "compiled: Unet with 31,031,810 parameters" in rgb.output  # REFERENCE.md's 3-channel count

"""The ``crf`` block from a YAML spec: through a fresh plugin manager, through the real
entry point of the installed package, with located errors, and under torch.compile."""
from __future__ import annotations

import importlib.metadata

import pytest
import torch
from segkit_crf.block import CRF, crf_macs
from segkit_crf.meanfield import dense_crf
from segkit_crf.postprocess import CRFPostprocessor

import segkit
from segkit.plugins.manager import get_plugin_manager
from segkit.plugins.registry import Registry

SPEC = """\
segkit: 1
name: crf-head
description: a 1x1 classifier refined by DeepLab's dense CRF
params: {num_classes: 4}
inputs:
  image: {channels: 3, size: 20}
nodes:
  logits: {block: conv, from: image, out: "${num_classes}", kernel: 1}
  refined: {block: crf, from: [logits, image], iterations: 5}
outputs: {out: refined}
"""

MISMATCH = """\
segkit: 1
name: crf-mismatch
inputs:
  logits: {channels: 21, size: 16}
  image: {channels: 3, size: [16, 17]}
nodes:
  refined: {block: crf, from: [logits, image]}
outputs: {out: refined}
"""


def test_spec_checks_with_a_fresh_plugin_manager(registry):
    report = segkit.check(SPEC, registry=registry)
    assert report.outputs["out"].as_tuple() == (4, 20, 20)
    assert registry.blocks["crf"].dist == "segkit-crf"
    conv_macs = 3 * 4 * 20 * 20
    assert report.macs == conv_macs + crf_macs(CRF.Params(iterations=5), 4, (20, 20))
    assert report.params == 3 * 4 + 4  # the CRF has no parameters


def test_spec_builds_and_runs_the_crf(registry):
    model = segkit.build(SPEC, registry=registry).eval()
    image = torch.rand(2, 3, 20, 20)
    with torch.no_grad():
        out = model(image)
        out = out["out"] if isinstance(out, dict) else out
        want = dense_crf(model.logits(image), image, iterations=5)
    assert torch.allclose(out, want)
    assert sum(p.numel() for p in model.parameters()) == 3 * 4 + 4


def test_mismatched_sizes_are_a_located_segkit_error(registry):
    with pytest.raises(segkit.SegkitError) as info:
        segkit.check(MISMATCH, registry=registry)
    error = info.value
    assert error.loc.line == 7  # the crf node
    assert "spatial sizes differ" in error.message
    assert "'logits'" in error.message and "'image'" in error.message
    assert "resize" in error.hint


def test_too_large_inputs_are_a_located_error_suggesting_downsampling(registry):
    with pytest.raises(segkit.SegkitError) as info:
        segkit.check(SPEC, input="3x256x256", registry=registry)
    assert info.value.loc.line == 9 and "max_pixels" in info.value.message
    assert "downsample" in info.value.message
    segkit.check(SPEC.replace("iterations: 5", "iterations: 5, max_pixels: 65536"), input="3x256x256",
                 registry=registry)


def test_postprocessor_is_registered(registry):
    post = registry.get("postprocessor", "crf")
    assert isinstance(post, CRFPostprocessor) and post.name == "crf"
    logits, image = torch.randn(1, 3, 8, 8), torch.rand(1, 3, 8, 8)
    assert torch.equal(post(logits, image), dense_crf(logits, image))


def test_gradients_flow_to_the_logits_and_the_image(registry):
    model = segkit.build(SPEC.replace("size: 20", "size: 8"), registry=registry).train()
    image = torch.rand(1, 3, 8, 8, requires_grad=True)
    out = model(image)
    out = out["out"] if isinstance(out, dict) else out
    (out[:, 0] - out[:, 1]).sum().backward()
    assert model.logits.weight.grad.abs().sum() > 0 and image.grad.abs().sum() > 0


def test_torch_compile_fullgraph_has_no_graph_break(registry):
    spec = SPEC.replace("size: 20", "size: 12").replace("iterations: 5", "iterations: 2")
    model = segkit.build(spec, registry=registry).eval()
    image = torch.rand(1, 3, 12, 12)
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    with torch.no_grad():
        got, want = compiled(image), model(image)
    got = got["out"] if isinstance(got, dict) else got
    want = want["out"] if isinstance(want, dict) else want
    assert torch.allclose(got, want, atol=1e-5)


def installed() -> bool:
    try:
        dist = importlib.metadata.distribution("segkit-crf")
    except importlib.metadata.PackageNotFoundError:
        return False
    return any(ep.group == "segkit" and ep.name == "crf" for ep in dist.entry_points)


needs_install = pytest.mark.skipif(not installed(), reason="pip install -e plugins/segkit-crf first")


@needs_install
def test_the_installed_entry_point_registers_the_block(monkeypatch):
    monkeypatch.delenv("SEGKIT_PLUGINS", raising=False)
    plugins = get_plugin_manager()
    registry = Registry.from_plugins(plugins)
    assert not [f for f in registry.failures if f.dist == "segkit-crf"]
    assert registry.blocks["crf"].dist == "segkit-crf"
    assert plugins.versions["crf"] == importlib.metadata.version("segkit-crf")
    assert isinstance(registry.get("postprocessor", "crf"), CRFPostprocessor)
    assert segkit.check(SPEC, registry=registry).outputs["out"].channels == 4


@needs_install
def test_segkit_plugins_lists_it(monkeypatch):
    from click.testing import CliRunner

    from segkit.api import default_registry
    from segkit.cli import main

    monkeypatch.delenv("SEGKIT_PLUGINS", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    default_registry.cache_clear()
    try:
        result = CliRunner().invoke(main, ["plugins"])
    finally:
        default_registry.cache_clear()
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "segkit-crf" in line)
    assert "crf" in line and "blocks: crf" in line and "postprocessors: crf" in line

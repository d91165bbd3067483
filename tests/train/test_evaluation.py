"""Test-time augmentation and sliding-window inference: output shapes, exactness of a
single window, averaging of overlapping windows, and `segkit eval` with them."""
from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

import segkit
from segkit.cli import main
from segkit.train.evaluation import Predictor, _starts
from tests.train.conftest import TINY_SPEC

POINTWISE = """
segkit: 1
name: pointwise
params: {num_classes: 5}
inputs: {image: 3}
nodes:
  logits: {block: conv, from: image, out: "${num_classes}", kernel: 1}
outputs: {out: logits}
"""


@pytest.fixture(scope="module")
def unet():
    torch.manual_seed(0)
    report = segkit.check(TINY_SPEC, "3x64x64", width=4)
    from segkit.compiler.codegen import compile_graph

    model = compile_graph(report.graph).eval()
    return Predictor(model, report.accepted_sizes)


def variant(predictor, **changes) -> Predictor:
    return Predictor(predictor.model, predictor.size_rules, **changes)


@pytest.mark.parametrize("size", [(64, 64), (48, 80), (50, 70), (17, 9)])
@pytest.mark.parametrize("kind", ["plain", "tta", "window"])
def test_output_is_logits_at_the_image_size(unet, size, kind):
    x = torch.randn(2, 3, *size)
    changes = {"plain": {}, "tta": {"scales": [0.75, 1.0, 1.25], "flip": True},
               "window": {"window": (32, 32), "stride": (16, 24)}}[kind]
    with torch.inference_mode():
        out = variant(unet, **changes)(x)
    assert out.shape == (2, 5, *size)
    assert torch.isfinite(out).all()
    if kind == "tta":  # averaged probabilities
        assert torch.allclose(out.sum(1), torch.ones(2, *size), atol=1e-5)


def test_window_of_the_image_size_equals_plain_inference(unet):
    x = torch.randn(1, 3, 64, 96)
    with torch.inference_mode():
        plain = unet(x)
        windowed = variant(unet, window=(64, 96))(x)
        larger = variant(unet, window=(80, 112))(x)  # padded like plain inference pads
    assert torch.equal(plain, windowed)
    assert larger.shape == plain.shape


def test_overlapping_windows_are_averaged():
    # a 1x1 conv sees one pixel: every window predicts the same logits there, so the
    # average over 1, 2 or 4 overlapping windows equals plain inference
    torch.manual_seed(0)
    report = segkit.check(POINTWISE)
    from segkit.compiler.codegen import compile_graph

    model = compile_graph(report.graph).eval()
    x = torch.randn(1, 3, 40, 56)
    with torch.inference_mode():
        plain = Predictor(model, report.accepted_sizes)(x)
        windowed = Predictor(model, report.accepted_sizes, window=(24, 24), stride=(8, 16))(x)
        flipped = Predictor(model, report.accepted_sizes, flip=True, scales=[1.0])(x)
    assert torch.allclose(plain, windowed, atol=1e-6)
    assert torch.allclose(plain.softmax(1), flipped, atol=1e-6)


def test_window_offsets_cover_the_image():
    assert _starts(64, 64, 32) == [0]
    assert _starts(100, 32, 32) == [0, 32, 64, 68]
    assert _starts(20, 32, 16) == [0]


def test_eval_with_tta_and_sliding_window(tmp_path, trained):
    plain_json, tta_json = tmp_path / "plain.json", tmp_path / "tta.json"
    common = ["eval", TINY_SPEC, "--weights", str(trained), "--data-opt", "size=48", "--data-opt", "length=4"]
    result = CliRunner().invoke(main, [*common, "--json", str(plain_json)])
    assert result.exit_code == 0, result.output
    for needle in ("mIoU", "pixel accuracy", "fwIoU", "background", "cross"):
        assert needle in result.output
    result = CliRunner().invoke(main, [*common, "--scales", "0.75,1,1.25", "--flip", "--window", "32x32",
                                       "--stride", "16x16", "--json", str(tta_json)])
    assert result.exit_code == 0, result.output
    plain, tta = json.loads(plain_json.read_text()), json.loads(tta_json.read_text())
    assert plain["images"] == tta["images"] == 4
    assert 0 <= tta["miou"] <= 1 and len(tta["classes"]) == 5
    # the same pixels are counted either way
    assert sum(c["pixels"] for c in plain["classes"]) == sum(c["pixels"] for c in tta["classes"])

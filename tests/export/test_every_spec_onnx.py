"""Every shipped spec exports to ONNX and onnxruntime reproduces PyTorch (issue 7).

Each spec is exported at its smallest accepted input >= 64 (>= 16 for 3-D), or, where
the export lint refuses that size (PSPNet: adaptive pooling bins must divide the
feature map), at the nearest size the lint suggests; the lint must accept it. The
check is export_model's: max abs difference < 1e-4 on a random batch of 2, where the
networks that max-unpool may resolve argmax ties differently (segkit.export.ties).

Measured (one thread, onnxruntime 1.32, a busy 2-core machine): every spec within 1.2e-6
(DenseNets and ResNet backbones; most within 1e-7); the whole file in 2 minutes, half of
it in the VGG-16-fc specs' weights (FCN-8s/16s/32s, 134M params, 10 s each;
DeconvNet, 252M, 20 s).
"""
from __future__ import annotations

import re

import pytest
import torch

import segkit
from segkit.export.exporters import export_model
from segkit.export.lint import check_export, lint_export, suggest_input
from tests.architectures.test_every_spec import ROOT, SPECS, small_input

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


def exportable_input(path) -> dict:
    """The small input of the every-spec test, or the lint's suggested size near it."""
    shapes = small_input(segkit.check(path))
    graph = segkit.check(path, input=shapes, train_heads=False).graph
    if not any(issue.severity == "error" for issue in lint_export(graph)):
        return shapes
    hint = suggest_input(graph) or ""
    found = re.search(r"--input (\d+(?:x\d+)+)", hint)
    assert found, f"the export lint refuses {path.name} at {shapes} and suggests no size"
    size = segkit.Shape.parse(found.group(1))
    return {name: shape.with_spatial(size.spatial) for name, shape in shapes.items()}


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_spec_exports_to_onnx_and_onnxruntime_matches_pytorch(path, tmp_path):
    shapes = exportable_input(path)
    graph = segkit.check(path, input=shapes, train_heads=False).graph
    check_export(graph)  # raises ExportLintError if the lint refuses
    torch.manual_seed(0)
    model = segkit.build(path, input=shapes, train_heads=False).eval()
    example = {name: torch.randn(1, *shape.as_tuple()) for name, shape in shapes.items()}
    target = tmp_path / f"{path.stem}.onnx"
    try:
        result = export_model(model, example, "onnx", target, check_batch=2)
        assert result.max_abs_diff < 1e-4
    finally:  # the VGG-fc specs write 0.5-1 GB files: do not keep them in pytest's tmp dirs
        target.unlink(missing_ok=True)

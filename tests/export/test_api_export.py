"""``segkit.export(spec, path, ...)``: the package that is also the API's export function,
what ``segkit export`` runs; it still works as a package however it was imported."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import segkit
from segkit.errors import SegkitError
from segkit.export.lint import ExportLintError
from segkit.weights.checkpoint import save_module
from tests.export._util import EXAMPLES, ROOT

SPEC, SHAPE, PARAMS = EXAMPLES["fcn8s_tiny"]  # H, W = 0..7 (mod 32), >= 32


def test_dynamic_onnx_runs_in_onnxruntime_at_three_accepted_sizes(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = segkit.build(SPEC, input=SHAPE, train_heads=False, **PARAMS).eval()
    save_module(model, tmp_path / "w.pt")
    result = segkit.export(SPEC, tmp_path / "m.onnx", input=SHAPE, dynamic=True, weights=tmp_path / "w.pt", **PARAMS)
    assert result.path == tmp_path / "m.onnx" and result.format == "onnx"
    assert result.rule == "H, W = 0..7 (mod 32), >= 32" and len(result.sizes) >= 3
    assert [r.accepts(70) for r in result.rules] == [True, True] and result.warnings == []
    session = ort.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    for size in [(64, 64), (96, 135), (39, 224)]:
        x = torch.randn(1, 3, *size)
        got = session.run(None, {"image": x.numpy()})[0]
        with torch.inference_mode():
            assert (torch.from_numpy(got) - model(x)).abs().max() < 1e-4, size


def test_the_package_is_still_a_package():
    from segkit.export import DEFAULT_OPSET, lint_export

    assert callable(segkit.export) and segkit.export.export_model.__name__ == "export_model"
    assert lint_export(segkit.check(SPEC, input=SHAPE, **PARAMS).graph) == [] and DEFAULT_OPSET == 17
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        segkit.export.nope  # noqa: B018


def test_callable_after_importing_a_module_of_the_package_first(tmp_path):
    """A fresh interpreter that imports ``segkit.export.dynamic`` before anything else."""
    probe = ("import segkit.export.dynamic\nimport segkit\n"
             f"r = segkit.export({str(SPEC)!r}, {str(tmp_path / 'm.pt2')!r}, input={SHAPE!r}, width=4)\n"
             "print(r.format, segkit.export.dynamic.MAX_SIZE)\n")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["exported-program", "4096"] and (tmp_path / "m.pt2").exists()


@pytest.mark.parametrize("path,kwargs,message", [
    ("m.bin", {}, "cannot tell the export format from"),
    ("m.onnx", {"format": "onnxx"}, "unknown export format 'onnxx'"),
    ("m.ts", {"opset": 13}, "--opset applies to onnx, not torchscript"),
    ("m.onnx", {"opset": 99}, "opset 99 is not supported"),
    ("m.ts", {"dynamic": True}, "torchscript traces one input size and has no dynamic form"),
    ("m.onnx", {"input": "3x64"}, "has 2 spatial dims, but 3x64 was given"),
])
def test_bad_arguments_raise_segkit_errors_and_write_nothing(path, kwargs, message, tmp_path):
    with pytest.raises(SegkitError, match=message):
        segkit.export(SPEC, tmp_path / path, **{"input": SHAPE, **PARAMS, **kwargs})
    assert list(tmp_path.iterdir()) == []


def test_a_spec_that_keeps_onnx_to_one_size_is_refused_naming_the_node(tmp_path):
    spec, shape, params = EXAMPLES["segnet_tiny"]
    with pytest.raises(ExportLintError) as caught:
        segkit.export(spec, tmp_path / "s.onnx", input=shape, dynamic=True, **params)
    text = caught.value.format()
    assert "max-unpooling" in text and "for every input size" in text and "exported-program" in text
    assert list(tmp_path.iterdir()) == []

"""ONNX (checked in onnxruntime), TorchScript (trace) and ExportedProgram files
reproduce the eager module."""
from __future__ import annotations

import pytest
import torch

import segkit
from segkit.export import fold_bn
from segkit.export.exporters import ExportCheckError, export_model
from tests.export._util import EXAMPLES, SPECS

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


def example_model(name, **extra):
    spec, shape, params = EXAMPLES[name]
    model = segkit.build(spec, input=shape, train_heads=False, **params, **extra).eval()
    return model, {"image": torch.randn(1, *segkit.Shape.parse(shape).as_tuple())}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_onnx_matches_pytorch_in_onnxruntime(name, tmp_path):
    model, example = example_model(name)
    result = export_model(model, example, "onnx", tmp_path / f"{name}.onnx", check_batch=2)
    assert result.max_abs_diff < 1e-4
    assert result.path.exists() and result.size_bytes > 0 and result.outputs == ["out"]
    assert "onnxruntime" in result.runtime
    assert [p.name for p in tmp_path.iterdir()] == [f"{name}.onnx"]  # no temporary file left


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")  # torch.jit.load is deprecated
@pytest.mark.parametrize("fmt,suffix", [("torchscript", "ts"), ("exported-program", "pt2")])
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_trace_and_torch_export_match_eager(name, fmt, suffix, tmp_path):
    model, example = example_model(name)
    result = export_model(model, example, fmt, tmp_path / f"{name}.{suffix}")
    assert result.max_abs_diff == 0 or result.max_abs_diff < 1e-6
    x = torch.randn(1, *example["image"].shape[1:])
    loaded = torch.jit.load(result.path) if fmt == "torchscript" else torch.export.load(result.path).module()
    with torch.inference_mode():
        torch.testing.assert_close(loaded(x), model(x))


def test_full_shipped_spec_exports_to_onnx(tmp_path):
    model = segkit.build(SPECS / "unet_small.yaml", input="3x64x64", train_heads=False).eval()
    result = export_model(model, {"image": torch.randn(1, 3, 64, 64)}, "onnx", tmp_path / "u.onnx", check_batch=2)
    assert result.max_abs_diff < 1e-4


def test_folded_model_exports_and_several_outputs_keep_their_names(tmp_path):
    spec = """segkit: 1
name: two
inputs:
  rgb: 3
  depth: 1
nodes:
  a: {block: conv_bn_act, from: rgb, out: 4}
  b: {block: conv_bn_act, from: depth, out: 4}
  s: {block: add, from: [a, b]}
  c: {block: conv, out: 2, kernel: 1}
outputs:
  seg: c
  feat: s
"""
    model = fold_bn(segkit.build(spec, input={"rgb": "3x16x16", "depth": "1x16x16"}).eval())
    example = {"rgb": torch.randn(1, 3, 16, 16), "depth": torch.randn(1, 1, 16, 16)}
    for fmt, suffix in (("onnx", "onnx"), ("torchscript", "ts"), ("exported-program", "pt2")):
        result = export_model(model, example, fmt, tmp_path / f"two.{suffix}", check_batch=3)
        assert result.outputs == ["seg", "feat"] and result.max_abs_diff < 1e-5, fmt


def test_a_file_that_differs_is_not_written(tmp_path, monkeypatch):
    from segkit.export import exporters

    model, example = example_model("fcn8s_tiny")
    real = exporters._WRITERS["torchscript"]

    def off_by_one(*args):
        run, runtime, guards = real(*args)
        return (lambda probe: [t + 1 for t in run(probe)]), runtime, guards

    monkeypatch.setitem(exporters._WRITERS, "torchscript", off_by_one)
    with pytest.raises(ExportCheckError, match="differs from PyTorch by 1"):
        export_model(model, example, "torchscript", tmp_path / "bad.ts")
    assert list(tmp_path.iterdir()) == []

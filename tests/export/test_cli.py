"""`segkit export` and `segkit bench` end to end, and their user errors (exit 2, no traceback)."""
from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner

from segkit.cli import main
from tests.export._util import SPECS

TINY = [str(SPECS / "examples/fcn8s_tiny.yaml"), "--input", "3x32x32", "--set", "width=4"]


def run(*args):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    return result


def test_export_onnx_prints_the_onnxruntime_difference(tmp_path):
    pytest.importorskip("onnxruntime")
    out = tmp_path / "net.onnx"
    result = run("export", *TINY, "--format", "onnx", "-o", str(out), "--fold-bn", "--opset", "13")
    assert result.exit_code == 0, result.output
    assert out.exists()
    assert "folded 15 of 15 BatchNorm" in result.output
    diff = float(result.output.split("max abs diff vs PyTorch: ")[1].split()[0])
    assert diff < 1e-4 and "onnxruntime" in result.output and "opset 13" in result.output


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")  # torch.jit.load is deprecated
def test_export_format_from_suffix_and_weights(tmp_path):
    import segkit
    from segkit.weights.checkpoint import save_module

    model = segkit.build(TINY[0], input="3x32x32", width=4)
    torch.nn.init.constant_(model.score32.weight, 0.5)
    ckpt = tmp_path / "w.pt"
    save_module(model, ckpt)
    out = tmp_path / "net.ts"
    result = run("export", *TINY, "--weights", str(ckpt), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "(torchscript," in result.output
    assert torch.equal(torch.jit.load(out).score32.weight, model.score32.weight)


def test_export_with_aux_head_weights(tmp_path):
    import segkit
    from segkit.weights.checkpoint import save_module

    spec = """segkit: 1
name: aux
inputs:
  image: 3
nodes:
  a: {block: conv_bn_act, from: image, out: 4}
  c: {block: conv, out: 2, kernel: 1}
  aux: {block: conv, from: a, out: 2, kernel: 1}
outputs:
  out: c
  aux: {from: aux, train: true}
"""
    path = tmp_path / "aux.yaml"
    path.write_text(spec)
    ckpt = tmp_path / "w.pt"
    save_module(segkit.build(path, input="3x8x8"), ckpt)
    result = run("export", str(path), "--input", "3x8x8", "--weights", str(ckpt), "-o", str(tmp_path / "a.pt2"))
    assert result.exit_code == 0, result.output
    other = tmp_path / "other.pt"
    save_module(segkit.build(TINY[0], input="3x32x32", width=4), other)
    result = run("export", str(path), "--input", "3x8x8", "--weights", str(other), "-o", str(tmp_path / "b.pt2"))
    assert result.exit_code == 2 and "error:" in result.output


@pytest.mark.parametrize("args,message", [
    (["--format", "onnxx", "-o", "x.onnx"], "--format: error: unknown export format 'onnxx'"),
    (["-o", "x.bin"], "--output: error: cannot tell the export format"),
    ([], "Missing option '-o' / '--output'"),
    (["-o", "x.onnx", "--opset", "99"], "--opset: error: opset 99 is not supported"),
    (["-o", "x.ts", "--opset", "13"], "--opset: error: --opset applies to onnx"),
])
def test_export_bad_arguments_exit_2(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("export", *TINY, *args)
    assert result.exit_code == 2 and message in result.output, result.output


def test_export_refuses_an_unexportable_spec_with_the_lint_messages(tmp_path):
    out = tmp_path / "p.onnx"
    result = run("export", str(SPECS / "pspnet.yaml"), "--input", "3x201x201", "-o", str(out))
    assert result.exit_code == 2, result.output
    assert "pspnet.yaml:" in result.output and "error: node 'ppm.pool2' (ppm_pool in 'ppm', block ppm)" in result.output
    assert "node 'ppm.pool3'" in result.output and "2 nodes will not export to onnx" in result.output
    assert "hint: try --input 3x" in result.output
    assert not out.exists()


def test_bench_runs_and_prints_a_table():
    result = run("bench", *TINY, "--repeats", "2", "--warmup", "0", "--batch", "2", "--fold-bn", "--threads", "1",
                 "--device", "cpu")
    assert result.exit_code == 0, result.output
    for text in ("forward", "forward+backward", "median ms", "p90 ms", "images/s", "peak memory", "BN folded",
                 "fcn8s-tiny: image 3x32x32, batch 2, cpu (1 thread), fold-bn", "MALLOC_MMAP_THRESHOLD_"):
        assert text in result.output, text
    assert "n/a" not in result.output and "not measured" not in result.output


def test_bench_options_and_modes():
    result = run("bench", *TINY, "--repeats", "1", "--warmup", "0", "--channels-last", "--amp", "--mode", "forward")
    assert result.exit_code == 0, result.output
    assert "forward+backward" not in result.output and "amp bfloat16" in result.output


def test_bench_bad_inputs_exit_2():
    if not torch.cuda.is_available():
        result = run("bench", *TINY, "--device", "cuda")
        assert result.exit_code == 2 and "--device: error" in result.output
    result = run("bench", *TINY, "--mode", "sideways")
    assert result.exit_code == 2
    result = run("bench", str(SPECS / "examples/fcn8s_tiny.yaml"), "--input", "3x31")
    assert result.exit_code == 2 and "error" in result.output


MINI = """segkit: 1
name: mini
inputs:
  image: 3
nodes:
  a: {block: conv_bn_act, from: image, out: 4}
  head: {block: conv, out: 2, kernel: 1}
outputs:
  out: head
"""


def test_bench_compile_on_cpu(tmp_path):
    """--compile: inductor's CPU code (C++) for both phases, here and in the memory probe's
    child process; a two-layer spec keeps the compilation to seconds."""
    import segkit
    from segkit.bench import runner as bench

    spec = tmp_path / "mini.yaml"
    spec.write_text(MINI)
    result = run("bench", str(spec), "--input", "3x16x16", "--batch", "2", "--compile", "--repeats", "2",
                 "--warmup", "0", "--threads", "1", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert "mini: image 3x16x16, batch 2, cpu (1 thread), torch.compile" in result.output
    for phase in ("forward", "forward+backward"):
        row = next(line for line in result.output.splitlines() if line.startswith(f"│ {phase} "))
        cells = [c.strip() for c in row.strip("│").split("│")]
        assert float(cells[1]) > 0 and float(cells[3]) > 0 and cells[4].endswith("iB"), row
    setup = bench.BenchSetup(torch.device("cpu"), batch=2, compile=True)
    shapes = {"image": segkit.Shape.parse("3x16x16")}
    eval_model, train_model, _ = bench.prepare(segkit.build(MINI, input="3x16x16"), shapes, setup)
    assert eval_model is train_model and isinstance(train_model, torch._dynamo.eval_frame.OptimizedModule)

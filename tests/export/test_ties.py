"""The ONNX check of max-unpooling networks allows argmax ties that the file resolves
differently (segkit.export.ties) and still catches files that compute something else.

Ties are made exact by construction: a nearest 2x upsampling feeds a 2x2 max pool, so
every pooling window holds four equal values and PyTorch picks the first. The file is
then edited to add ``eps`` to the last position of each window before its MaxPool, as
onnxruntime's different rounding does to near-ties of real networks (DeconvNet): with a
rounding-sized ``eps`` every window's argmax moves and only the conditioned comparison
passes; with ``eps = 1`` the file is wrong and must be refused.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import segkit
from segkit.export import ties
from segkit.export.exporters import ExportCheckError, export_model

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

SIZE = 6
SPEC = """\
segkit: 1
name: tied
inputs:
  image: 2
nodes:
  up: {block: resize, from: image, scale: 2, mode: nearest}
  pool: {block: maxpool, return_indices: true}
  mix: {block: conv, from: pool, out: 2}
  unpool: {block: unpool, from: mix, indices: pool}
  head: {block: conv, out: 3}
outputs:
  out: head
"""


def model():
    torch.manual_seed(0)
    return segkit.build(SPEC, input=f"2x{SIZE}x{SIZE}").eval()


def nudge_before_maxpool(path, eps: float) -> None:
    """Add ``eps`` to the bottom-right value of every 2x2 window entering the file's
    2x2 MaxPool (onnxruntime resolves those ties the other way then)."""
    from onnx import helper, numpy_helper

    proto = onnx.load(str(path))
    pool = next(n for n in proto.graph.node if n.op_type == "MaxPool"
                and list(next(a for a in n.attribute if a.name == "kernel_shape").ints) == [2, 2])
    offset = np.zeros((1, 1, 2 * SIZE, 2 * SIZE), np.float32)
    offset[..., 1::2, 1::2] = eps
    proto.graph.initializer.append(numpy_helper.from_array(offset, "nudge"))
    add = helper.make_node("Add", [pool.input[0], "nudge"], ["nudged"])
    pool.input[0] = "nudged"
    nodes = list(proto.graph.node)
    nodes.insert(nodes.index(pool), add)
    del proto.graph.node[:]
    proto.graph.node.extend(nodes)
    onnx.save(proto, str(path))


@pytest.fixture
def nudged(monkeypatch):
    """The ONNX writer, with the file edited by ``nudged.eps`` after torch writes it."""
    from segkit.export import exporters

    real = exporters._WRITERS["onnx"]

    class Nudged:
        eps = 1e-6

        @staticmethod
        def write(model, example, names, tmp, opset, *dynamic):
            real(model, example, names, tmp, opset, *dynamic)
            nudge_before_maxpool(tmp, Nudged.eps)
            session = ort.InferenceSession(tmp, providers=["CPUExecutionProvider"])

            def run(probe):
                feed = {name: t.numpy() for name, t in zip(example, probe)}
                return [torch.from_numpy(a) for a in session.run(names, feed)]

            return run, "onnxruntime (nudged)", False

    monkeypatch.setitem(exporters._WRITERS, "onnx", Nudged.write)
    return Nudged


def example():
    return {"image": torch.randn(1, 2, SIZE, SIZE)}


def test_plain_file_has_no_flips(tmp_path):
    result = export_model(model(), example(), "onnx", tmp_path / "t.onnx", check_batch=2)
    assert result.argmax_flips == 0 and result.unconditioned_diff is None and result.max_abs_diff < 1e-5


def test_ties_resolved_differently_pass_conditioned_on_the_files_choices(tmp_path, nudged):
    result = export_model(model(), example(), "onnx", tmp_path / "t.onnx", check_batch=2)
    windows = 2 * 2 * SIZE * SIZE  # batch x channels x pooled positions: every one flipped
    assert result.argmax_flips == windows
    assert result.unconditioned_diff > 1e-2  # the plain comparison would refuse the file
    assert result.max_abs_diff < 1e-5
    assert (tmp_path / "t.onnx").exists()


def test_a_file_off_by_more_than_rounding_is_still_refused(tmp_path, nudged):
    nudged.eps = 1.0
    with pytest.raises(ExportCheckError, match="following its 144 argmax tie choices"):
        export_model(model(), example(), "onnx", tmp_path / "t.onnx", check_batch=2)
    assert list(tmp_path.iterdir()) == []


def test_choices_that_are_not_ties_are_an_error():
    net = segkit.build(SPEC.replace("mode: nearest", "mode: bilinear"), input=f"2x{SIZE}x{SIZE}").eval()
    x = torch.randn(1, 2, SIZE, SIZE)
    up = torch.nn.functional.interpolate(x, scale_factor=2, mode="bilinear")
    own = torch.nn.functional.max_pool2d(up, 2, return_indices=True)[1]
    theirs = own.clone()
    theirs[0, 0, 0, 0] += 1  # the right-hand neighbour in the same window: not a tie of bilinear values
    assert ties.unpool_calls(net) == 1
    problem = ties.follow_file_choices(net, (x,), [theirs.flatten(2)], 1e-4)
    assert isinstance(problem, str) and "below PyTorch's max" in problem
    same = ties.follow_file_choices(net, (x,), [own.flatten(2)], 1e-4)
    assert same.flips == 0
    with torch.inference_mode():
        torch.testing.assert_close(same.outputs[0], net(x), rtol=0, atol=0)


def test_export_command_reports_the_tie_choices(tmp_path, nudged):
    from click.testing import CliRunner

    from segkit.cli import main

    spec = tmp_path / "tied.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "t.onnx"
    result = CliRunner().invoke(main, ["export", str(spec), "--input", f"2x{SIZE}x{SIZE}", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "144 max-pool argmax ties were resolved differently by the file (plain difference" in result.output
    assert out.exists()

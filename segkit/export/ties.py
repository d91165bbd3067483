"""Max-pool argmax ties in the ONNX check of networks that max-unpool (SegNet, DeconvNet).

Max-unpooling puts each pooled value back at the argmax position its max pool recorded.
The argmax is discontinuous: where two values of a pooling window are equal up to
float rounding, the last bit decides which position wins. onnxruntime's convolutions
round differently from PyTorch's (differences of 1e-8 to 1e-6, different summation
orders), so on some windows of a random input it picks the other of two near-equal
values (measured on DeconvNet at 224x224: 1 to 6 such windows per pool, in one of
four random initialisations). The unpooled value then lands one pixel away, an O(1)
local change that the deconvolutions spread: the outputs differ by up to 3e-4 where
the file is right. No tolerance separates that from a wrong export, and no tie rule
removes it (the two runtimes do not see the same values).

So when the plain comparison fails for a GraphModule with unpool calls, the check is
repeated *conditioned on the file's argmax choices*: the indices onnxruntime feeds each
max-unpooling (the ``indices`` input of its ScatterElements node) are read back from
the file, PyTorch is run again with each unpool using them, and

1. every position where they differ from PyTorch's must be a tie: PyTorch's value at
   the file's position must be within ``tolerance`` of PyTorch's maximum (anything
   else, such as an index convention off by a row, is an export error), and
2. the outputs must then agree within ``tolerance``, as for any other network.

The result reports how many argmax choices differed.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.fx

from segkit.compiler.outputs import flatten_outputs
from segkit.ops import functional

# onnx and onnxruntime are imported inside functions: optional for what most callers do.



@dataclass
class Conditioned:
    """The outputs of PyTorch following the file's argmax choices, and how many choices
    differed from PyTorch's own (each a tie within the tolerance)."""

    outputs: list[torch.Tensor]
    flips: int


def unpool_calls(model) -> int:
    """Number of max-unpooling calls in ``model``'s generated forward (0 if it is not a
    torch.fx GraphModule)."""
    graph = getattr(model, "graph", None)
    if not isinstance(graph, torch.fx.Graph):
        return 0
    return sum(1 for node in graph.nodes if node.op == "call_function" and node.target is functional.unpool)


def file_unpool_indices(path, inputs: list[str], probe: tuple) -> list[torch.Tensor]:
    """The ``indices`` input of every ScatterElements node of the ONNX file at ``path``,
    in graph order, when run on ``probe`` in onnxruntime (as extra graph outputs of an
    in-memory copy; the file is not changed)."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(path))
    names = [node.input[1] for node in model.graph.node if node.op_type == "ScatterElements"]
    present = {value.name for value in model.graph.output}
    for name in dict.fromkeys(names):
        if name not in present:
            model.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {name: t.numpy() for name, t in zip(inputs, probe)}
    return [torch.from_numpy(a) for a in session.run(names, feed)]


class _FollowIndices(torch.fx.Interpreter):
    """Runs a GraphModule with its i-th unpool call scattering by ``indices[i]``."""

    def __init__(self, module, indices: list[torch.Tensor], tolerance: float):
        super().__init__(module)
        self.indices = list(indices)
        self.calls = 0
        self.flips = 0
        self.tolerance = tolerance
        self.problem = ""

    def call_function(self, target, args, kwargs):
        if target is not functional.unpool:
            return super().call_function(target, args, kwargs)
        x, own, source = args
        theirs = self.indices[self.calls].to(own.dtype)
        self.calls += 1
        if theirs.numel() != own.numel():
            self.fail(f"unpool {self.calls}: the file scatters {tuple(theirs.shape)} indices, "
                      f"PyTorch {tuple(own.shape)}")
        theirs = theirs.view_as(own)
        differ = theirs != own
        if bool(differ.any()):
            values = source.flatten(2)  # the pool's input
            if bool(((theirs < 0) | (theirs >= values.shape[2])).any()):
                self.fail(f"unpool {self.calls}: the file's indices leave the pool's input")
            best = values.gather(2, own.flatten(2))
            chosen = values.gather(2, theirs.flatten(2))
            gap = float((best - chosen)[differ.flatten(2)].abs().max())
            if not gap <= self.tolerance:
                self.fail(f"unpool {self.calls}: the file's argmax is {gap:.3g} below PyTorch's max")
            self.flips += int(differ.sum())
        return target(x, theirs, source)

    def fail(self, problem: str):
        self.problem = problem
        raise _Mismatch(problem)


class _Mismatch(Exception):
    """The file's argmax choices are not ties of PyTorch's (or cannot be mapped); the
    reason is kept on the interpreter (torch.fx appends its node trace to the message)."""


def follow_file_choices(model, probe: tuple, indices: list[torch.Tensor], tolerance: float) -> Conditioned | str:
    """PyTorch's outputs on ``probe`` with every unpool using the file's ``indices``; a
    string saying why not when the choices are not ties within ``tolerance`` or do not
    map one to one onto the unpool calls."""
    if len(indices) != unpool_calls(model):
        return f"the file has {len(indices)} scatters for {unpool_calls(model)} max-unpoolings"
    runner = _FollowIndices(model, indices, tolerance)
    try:
        with torch.inference_mode():
            out = runner.run(*probe)
    except _Mismatch:
        return runner.problem
    return Conditioned(flatten_outputs(out), runner.flips)

"""`segkit bench`'s CPU memory probe: the child process's peaks fill the rows, and a child
that fails or hangs leaves the rows unmeasured with the reason in their note."""
from __future__ import annotations

import torch

import segkit
from segkit.bench import runner as bench
from tests.export._util import SPECS

TINY = [str(SPECS / "examples/fcn8s_tiny.yaml"), "--input=3x32x32", "--set=width=4", "--device=cpu"]


def timed(phase: str, note: str = "") -> bench.Measurement:
    return bench.Measurement(phase, [0.01], 1, None, "", note)


def test_the_probe_fills_the_rows_from_the_child():
    rows = [timed("forward"), timed("forward+backward")]
    bench.cpu_memory_in_child(rows, [*TINY, "--batch=2", "--warmup=0"])
    assert all(row.peak_bytes > 0 and "MALLOC_MMAP_THRESHOLD_" in row.memory_method for row in rows), rows
    assert [row.note for row in rows] == ["", ""]


def test_a_failing_probe_puts_the_first_line_of_its_stderr_in_the_note():
    rows = [timed("forward", "BN folded"), bench.Measurement("forward+backward", [float("nan")], 1, None, "", "skipped")]
    bench.cpu_memory_in_child(rows, ["no_such_spec.yaml", "--device=cpu"])
    assert rows[0].peak_bytes is None and rows[0].memory_method.startswith("not measured")
    assert rows[0].note == "BN folded; memory probe: no_such_spec.yaml: error: cannot read spec: No such file or directory"
    assert rows[1].note == "skipped"  # an untimed row is not measured either way


def test_a_probe_past_its_timeout_is_stopped_and_says_so(monkeypatch):
    monkeypatch.setattr(bench, "PROBE_TIMEOUT", 0.01)
    rows = [timed("forward")]
    bench.cpu_memory_in_child(rows, TINY)
    assert rows[0].peak_bytes is None and rows[0].note == "memory probe: timed out after 0.01 s"


def test_probe_memory_measures_each_phase_after_a_warm_up():
    shapes = {"image": segkit.Shape.parse("3x32x32")}
    setup = bench.BenchSetup(torch.device("cpu"), batch=2, warmup=0)
    model = segkit.build(str(SPECS / "examples/fcn8s_tiny.yaml"), input="3x32x32", width=4)
    eval_model, train_model, x = bench.prepare(model, shapes, setup)
    calls = []
    phases = [bench.forward_phase(eval_model, x, setup), bench.train_phase(train_model, x, setup)]
    for phase in phases:
        phase.step = (lambda step, name: lambda: (calls.append(name), step())[1])(phase.step, phase.name)
    found = bench.probe_memory(phases, setup)
    assert set(found) == {"forward", "forward+backward"}
    assert all(peak is not None and method for peak, method in found.values())
    assert calls == ["forward", "forward+backward", "forward", "forward+backward"]  # warm-up, then measured

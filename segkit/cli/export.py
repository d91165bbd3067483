"""``segkit export`` and ``segkit bench``. Torch is imported inside the commands, so that
``segkit check`` (which loads every command group) stays torch-free."""
from __future__ import annotations

import click

from segkit import api
from segkit.cli.options import (
    console,
    input_option,
    parse_input_option,
    parse_sets,
    registry,
    set_option,
    spec_argument,
    user_errors,
)
from segkit.compiler.codegen import compile_graph
from segkit.errors import InputError, SourceLoc

# torch is imported inside functions (as is rich), so that importing this module, and so
# `segkit check`, stays torch-free.


def _human_bytes(n: float | None) -> str:
    if n is None:
        return "n/a"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1024
    return str(n)


@click.command("export")
@spec_argument
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--format", "fmt", metavar="onnx|torchscript|exported-program", default=None,
              help="Export format [default: from the suffix: .onnx, .ts, .pt2].")
@click.option("--weights", type=click.Path(dir_okay=False), help="Load these weights first (segkit checkpoint, "
                                                                 "or another code base's with --weights-format).")
@click.option("--weights-format", default="segkit", show_default=True, metavar="NAME",
              help="Weight format of --weights (segkit, torchvision, timm, or a plugin's).")
@input_option
@set_option
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Batch of the example input.")
@click.option("--fold-bn", is_flag=True, help="Fold BatchNorm into the preceding convolutions first.")
@click.option("--opset", type=int, default=None, help="ONNX opset [default: 17].")
@click.option("--tolerance", type=float, default=1e-4, show_default=True,
              help="Largest max-abs difference from PyTorch accepted when checking the file.")
@click.option("--dynamic", is_flag=True, help="One file for every accepted input size (onnx, exported-program); "
                                              "checked at three or more of them.")
@user_errors
def export_command(spec, output, fmt, weights, weights_format, inputs, sets, batch, fold_bn, opset, tolerance,
                   dynamic):
    """Export SPEC (eval mode, without training-only heads) to ONNX, TorchScript
    (torch.jit.trace, which PyTorch has deprecated: prefer exported-program) or a
    torch.export ExportedProgram, and check the written file against PyTorch on a
    random input (ONNX: in onnxruntime).

    Before exporting to ONNX, a lint of the static graph names every node that will not
    export (e.g. adaptive pooling whose bins do not divide the feature map) and refuses.
    The export is for the input size given (default: the spec's); ONNX files take any
    batch size. With --dynamic the file takes every input size the spec accepts (the
    rule `segkit sizes` prints, stored in the file), or the lint names the nodes that
    keep it to one size.
    """
    result = api.export(spec, output, format=fmt, input=parse_input_option(inputs), dynamic=dynamic,
                        weights=weights or None, weights_format=weights_format, opset=opset, batch=batch,
                        fold_bn=fold_bn, tolerance=tolerance, registry=registry(), **parse_sets(sets))
    for issue in result.warnings:
        click.echo(issue.format(), err=True)
    if result.folded_bn is not None:
        click.echo(f"folded {result.folded_bn[0]} of {result.folded_bn[1]} BatchNorm layers into convolutions")
    sizes = ", ".join(f"{name} {'x'.join(map(str, shape))}" for name, shape in result.input_shapes.items())
    if result.rule is not None:
        sizes = f"every input size with {result.rule} (any batch); stored in the file"
    click.echo(f"wrote {result.path} ({result.format}, {_human_bytes(result.size_bytes)}) for {sizes}; "
               f"outputs: {', '.join(result.outputs)}")
    checked = "" if result.sizes is None else f" at sizes {', '.join('x'.join(map(str, s)) for s in result.sizes)}"
    click.echo(f"max abs diff vs PyTorch: {result.max_abs_diff:.3g} ({result.runtime}, random input of batch "
               f"{result.batch}{checked}; tolerance {tolerance:g})")
    if result.runtime_guards:
        click.echo("  torch.export could not prove some of its guards for every size of the rule; "
                   "the file checks them when it runs")
    if result.argmax_flips:
        click.echo(f"  {result.argmax_flips} max-pool argmax ties were resolved differently by the file (plain "
                   f"difference {result.unconditioned_diff:.3g}); the difference above follows its choices")


@click.command("bench")
@spec_argument
@input_option
@set_option
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default=None,
              help="Default: cuda when available, else cpu.")
@click.option("--amp", is_flag=True, help="Autocast: float16 on CUDA, bfloat16 on CPU.")
@click.option("--channels-last", is_flag=True, help="channels_last memory format (model and input).")
@click.option("--compile", "compile_", is_flag=True, help="torch.compile the module (compile time not timed).")
@click.option("--fold-bn", is_flag=True, help="Fold BatchNorm into convolutions for the forward pass "
                                              "(forward+backward runs the unfolded model).")
@click.option("--repeats", type=click.IntRange(min=1), default=20, show_default=True, help="Timed iterations.")
@click.option("--warmup", type=click.IntRange(min=0), default=3, show_default=True, help="Untimed iterations first.")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="torch.set_num_threads (CPU).")
@click.option("--mode", type=click.Choice(["both", "forward", "train"]), default="both", show_default=True,
              help="forward (inference_mode), train (forward+backward), or both.")
@click.option("--memory-probe", is_flag=True, hidden=True,
              help="Internal: only measure peak memory and print it as JSON (the CPU child process).")
@user_errors
def bench_command(spec, inputs, sets, batch, device, amp, channels_last, compile_, fold_bn, repeats, warmup,
                  threads, mode, memory_probe):
    """Time SPEC: latency (median, p90), throughput and peak memory of the forward pass
    (eval, inference_mode) and of forward+backward (train mode, loss = sum of output
    means). Peak memory is what one iteration adds to the weights and inputs: on CUDA
    torch.cuda.max_memory_allocated; on CPU the rise of the resident set (VmHWM, reset
    via /proc/self/clear_refs), measured in a child process whose malloc returns freed
    tensors to the kernel at once (MALLOC_MMAP_THRESHOLD_), so the timings are not
    slowed by it."""
    import torch

    from segkit.bench import runner as bench

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda, but torch sees no CUDA device", SourceLoc("--device"),
                         f"torch {torch.__version__}; use --device cpu")
    if threads:
        torch.set_num_threads(threads)
    params = parse_sets(sets)
    train_heads = mode != "forward"
    report = api.check(spec, parse_input_option(inputs), registry(), train_heads=train_heads, **params)
    graph = report.graph
    shapes = graph.input_shapes
    setup = bench.BenchSetup(torch.device(device), batch, amp, channels_last, compile_, fold_bn, repeats, warmup)
    model = compile_graph(graph)
    eval_model, train_model, x = bench.prepare(model, shapes, setup)
    phases = []
    if mode in ("both", "forward"):
        phases.append(bench.forward_phase(eval_model, x, setup))
    if mode in ("both", "train"):
        phases.append(bench.train_phase(train_model, x, setup))

    def skip(exc):  # BatchNorm over one value per channel (batch 1, 1x1 map) in train mode
        return "skipped: BatchNorm needs --batch >= 2 in train mode" if "more than 1 value per channel" in str(exc) \
            else None

    if memory_probe:
        import json

        click.echo("SEGKIT_MEMORY " + json.dumps(bench.probe_memory(phases, setup, skip)))
        return
    rows = bench.run_phases(phases, setup, skip, memory=setup.device.type == "cuda")
    if setup.device.type == "cpu":
        args = [spec, *(f"--input={i}" for i in inputs), *(f"--set={s}" for s in sets), f"--batch={batch}",
                "--device=cpu", f"--mode={mode}", f"--warmup={min(warmup, 1)}"]
        args += [flag for flag, on in (("--amp", amp), ("--channels-last", channels_last), ("--compile", compile_),
                                       ("--fold-bn", fold_bn)) if on]
        bench.cpu_memory_in_child(rows, args + ([f"--threads={threads}"] if threads else []))
    _print_bench(graph, shapes, setup, rows, torch)


def _print_bench(graph, shapes, setup, rows, torch):
    from rich.table import Table

    from segkit.bench.runner import amp_dtype

    options = [name for name, on in (("channels_last", setup.channels_last), ("torch.compile", setup.compile),
                                     ("fold-bn", setup.fold_bn)) if on]
    if setup.amp:
        options.insert(0, f"amp {amp_dtype(setup.device)}")
    where = setup.device.type
    if setup.device.type == "cuda":
        where += f" ({torch.cuda.get_device_name(setup.device)})"
    else:
        threads = torch.get_num_threads()
        where += f" ({threads} thread{'s' if threads > 1 else ''})"
    sizes = ", ".join(f"{name} {s}" for name, s in shapes.items())
    click.echo(f"{graph.name}: {sizes}, batch {setup.batch}, {where}" + (f", {', '.join(options)}" if options else ""))
    table = Table()
    for col in ("phase", "median ms", "p90 ms", "images/s", "peak memory", "note"):
        table.add_column(col, justify="left" if col in ("phase", "note") else "right")
    for row in rows:
        timed = row.times and row.times[0] == row.times[0]  # not NaN
        table.add_row(row.phase, f"{row.median * 1e3:.2f}" if timed else "-", f"{row.p90 * 1e3:.2f}" if timed else "-",
                      f"{row.throughput:.2f}" if timed else "-", _human_bytes(row.peak_bytes), row.note)
    out = console()
    out.print(table)
    methods = sorted({row.memory_method for row in rows if row.memory_method})
    out.print(f"torch {torch.__version__}; {setup.repeats} timed runs after {setup.warmup} warm-up; "
                  f"peak memory = {', '.join(methods)}", highlight=False)


COMMANDS = (export_command, bench_command,)

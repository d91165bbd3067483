"""Commands that look at one spec: ``check`` (torch-free), ``build``, ``resolve`` and ``graph``."""
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
from segkit.lang.render import render
from segkit.lang.resolver import evaluate_params
from segkit.views.graph_drawing import run_dot, to_dot, to_mermaid
from segkit.views.tables import report_table, summary_lines
from segkit.weights.checkpoint import save_module


def _print_report(report, expand: bool) -> None:
    out = console()
    lines = summary_lines(report)  # first: deriving the accepted sizes may add a warning
    for warning in report.warnings:
        click.echo(warning.format(), err=True)
    out.print(report_table(report, expand))
    for line in lines:
        out.print(line, highlight=False, markup=False)


@click.command()
@spec_argument
@input_option
@set_option
@click.option("--expand", is_flag=True, help="One row per primitive node instead of per spec node.")
@user_errors
def check(spec, inputs, sets, expand):
    """Validate SPEC and print its shape table (no torch needed)."""
    report = api.check(spec, parse_input_option(inputs), registry(), **parse_sets(sets))
    _print_report(report, expand)


@click.command()
@spec_argument
@input_option
@set_option
@click.option("--save", type=click.Path(dir_okay=False), help="Write the compiled module's weights here.")
@click.option("--code", is_flag=True, help="Print the generated forward code.")
@click.option("--expand", is_flag=True, help="One row per primitive node instead of per spec node.")
@click.option("--inference", is_flag=True, help="Leave out training-only outputs (aux heads) and their nodes.")
@click.option("--weights", metavar="FILE", help="Load these weights into the model (every key must fit).")
@click.option("--weights-format", default="segkit", show_default=True, metavar="NAME",
              help="Key layout of --weights: segkit, torchvision, timm, or a plugin's.")
@user_errors
def build(spec, inputs, sets, save, code, expand, inference, weights, weights_format):
    """Compile SPEC into a PyTorch module and print its summary."""
    params = parse_sets(sets)
    if inference:  # the weights of the left-out training-only heads are skipped
        built = api.build_for_inference(spec, parse_input_option(inputs), registry(), weights=weights,
                                    weights_format=weights_format, **params)
        model, report, loaded = built.model, built.report, built.loaded
    else:
        report = api.check(spec, parse_input_option(inputs), registry(), **params)
        model = compile_graph(report.graph)
        loaded = api.load_weights(model, weights, weights_format, registry=registry()) if weights else None
    _print_report(report, expand)
    if loaded is not None:
        click.echo(loaded.summary())
    actual = sum(p.numel() for p in model.parameters())
    click.echo(f"compiled: {type(model).__name__} with {actual:,} parameters")
    if code:
        click.echo(model.code)
    if save:
        save_module(model, save, spec=report.graph.spec, params=report.graph.params)
        click.echo(f"saved {save}")


@click.command()
@spec_argument
@set_option
@user_errors
def merge(spec, sets):
    """Print SPEC with extends merged and params evaluated, and where each key came from."""
    loaded = api.load_spec(spec, registry())
    values = evaluate_params(loaded, parse_sets(sets), SourceLoc("--set"))
    click.echo(render(loaded, values))


@click.command("resolve", hidden=True)
@spec_argument
@set_option
@click.pass_context
def resolve(ctx, spec, sets):
    """Renamed: `segkit merge` (segkit.resolve() in Python returns the resolved Graph)."""
    click.echo("note: `segkit resolve` is now `segkit merge`", err=True)
    ctx.invoke(merge, spec=spec, sets=sets)


@click.command()
@spec_argument
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="file.svg | file.png (need Graphviz's dot) | file.dot | file.mmd")
@input_option
@set_option
@click.option("--expand", is_flag=True, help="Show every primitive node, composite blocks as clusters.")
@user_errors
def graph(spec, output, inputs, sets, expand):
    """Draw SPEC: node ids, blocks, and output shapes on the edges."""
    import shutil
    from pathlib import Path

    report = api.check(spec, parse_input_option(inputs), registry(), **parse_sets(sets))
    path = Path(output)
    suffix = path.suffix.lower()
    if suffix == ".mmd":
        path.write_text(to_mermaid(report.graph, expand))
    elif suffix == ".dot":
        path.write_text(to_dot(report.graph, expand))
    elif suffix in (".svg", ".png"):
        dot = shutil.which("dot")
        if dot is None:
            raise InputError("Graphviz's `dot` is not installed, so svg/png cannot be rendered",
                             SourceLoc(output), f"write {path.with_suffix('.dot').name} or "
                             f"{path.with_suffix('.mmd').name} instead, or install graphviz")
        path.write_bytes(run_dot(dot, suffix[1:], to_dot(report.graph, expand), SourceLoc(output)))
    else:
        raise InputError(f"unknown graph format {suffix or '(none)'}", SourceLoc(output),
                         "use .svg, .png, .dot or .mmd")
    click.echo(f"wrote {output}")


COMMANDS = (check, build, merge, resolve, graph,)

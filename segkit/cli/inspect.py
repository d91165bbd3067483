"""Commands that look at one spec beyond checking it: ``build``, ``merge`` (and its old name
``resolve``) and ``graph``."""
from __future__ import annotations

import shutil
from pathlib import Path

import click

from segkit import api
from segkit.cli.check import print_report
from segkit.cli.options import (
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
from segkit.views.graph_drawing import PNG_LIMIT, png_size, run_dot, to_dot, to_mermaid
from segkit.views.graph_explorer import to_html
from segkit.weights.checkpoint import save_module


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
    print_report(report, expand)
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
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="file.html (interactive page) | file.svg | file.png (need Graphviz's dot) | file.dot | file.mmd; "
                   "without it, the text goes to stdout")
@click.option("--format", "text_format", type=click.Choice(["dot", "mermaid"]), default=None,
              help="What to print without -o.  [default: dot]")
@input_option
@set_option
@click.option("--expand", is_flag=True, help="Show every primitive node, composite blocks as clusters.")
@user_errors
def graph(spec, output, text_format, inputs, sets, expand):
    """Draw SPEC: node ids, blocks, and output shapes on the edges."""
    report = api.check(spec, parse_input_option(inputs), registry(), **parse_sets(sets))
    if output is None:
        click.echo((to_mermaid if text_format == "mermaid" else to_dot)(report.graph, expand), nl=False)
        return
    if text_format is not None:
        raise InputError("--format chooses what is printed without -o", SourceLoc("--format"),
                         "-o takes the format from the file name (.dot, .mmd, .svg, .png, .html)")
    _write_graph(report, Path(output), expand)
    click.echo(f"wrote {output}")


def _write_graph(report, path: Path, expand: bool) -> None:
    """``report``'s graph to ``path``, in the format its suffix names."""
    suffix, loc = path.suffix.lower(), SourceLoc(str(path))
    if suffix == ".mmd":
        path.write_text(to_mermaid(report.graph, expand))
    elif suffix == ".dot":
        path.write_text(to_dot(report.graph, expand))
    elif suffix == ".html":
        path.write_text(to_html(report, expand), encoding="utf-8")
    elif suffix in (".svg", ".png"):
        dot = shutil.which("dot")
        if dot is None:
            raise InputError("Graphviz's `dot` is not installed, so svg/png cannot be rendered", loc,
                             f"write {path.with_suffix('.html').name} (no Graphviz needed), "
                             f"{path.with_suffix('.dot').name} or {path.with_suffix('.mmd').name} instead, "
                             "or install graphviz")
        data = run_dot(dot, suffix[1:], to_dot(report.graph, expand), loc)
        path.write_bytes(data)
        if suffix == ".png" and max(png_size(data)) >= PNG_LIMIT:
            width, height = png_size(data)
            click.echo(f"warning: {path}: the graph is larger than Graphviz's PNG limit of {PNG_LIMIT:,} px per "
                       f"side, so it was scaled down to {width}x{height} px and its labels are hard to read\n"
                       f"  hint: write {path.with_suffix('.svg').name} or {path.with_suffix('.html').name} "
                       "(pan and zoom) instead", err=True)
    else:
        raise InputError(f"unknown graph format {suffix or '(none)'}", loc, "use .html, .svg, .png, .dot or .mmd")


COMMANDS = (build, merge, resolve, graph)

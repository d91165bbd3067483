"""The ``segkit`` command line (click). Thin: parse arguments, call the API, print.

Every user error is a SegkitError, printed as ``file:line:col: error: ...`` with exit
status 2 and no traceback (``--debug`` shows one).
"""
from __future__ import annotations

import functools
import sys

import click

from segkit.errors import InputError, SegkitError, SourceLoc

EXIT_USER_ERROR = 2


def parse_sets(items: tuple[str, ...]) -> dict:
    """``--set k=v`` pairs; values are YAML scalars (``--set output_stride=8``)."""
    from segkit.spec.loader import load_yaml

    params = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise InputError(f"--set takes name=value, got {item!r}", SourceLoc("--set"))
        value, _ = load_yaml(text or "null", f"--set {key}")
        params[key] = value
    return params


def parse_input_option(values: tuple[str, ...]):
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return values[0]
    out = {}
    for item in values:
        name, sep, size = item.partition("=")
        if not sep:
            raise InputError(f"with several --input, write name=CxHxW, got {item!r}", SourceLoc("--input"))
        out[name.strip()] = size.strip()
    return out


def user_errors(fn):
    """Turn SegkitErrors into a located message and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        debug = kwargs.pop("debug", False)
        try:
            return fn(*args, **kwargs)
        except SegkitError as exc:
            if debug:
                raise
            click.echo(exc.format(), err=True)
            sys.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug in segkit or a plugin: say so, in one line
            if debug:
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                       "  this is a bug; run again with --debug for the traceback and report it", err=True)
            sys.exit(1)

    return click.option("--debug", is_flag=True, help="Show Python tracebacks.")(wrapper)


spec_argument = click.argument("spec")
input_option = click.option("--input", "inputs", multiple=True, metavar="CxHxW",
                            help="Input size, e.g. 3x512x512 (name=CxHxW for several inputs).")
set_option = click.option("--set", "sets", multiple=True, metavar="K=V", help="Override a spec param.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="segkit")
def main():
    """segkit: segmentation networks as YAML graph specs."""


def _console():
    from rich.console import Console

    return Console(width=max(120, Console().width))


def _print_report(report, expand: bool) -> None:
    from segkit.tables import report_table, summary_lines

    console = _console()
    lines = summary_lines(report)  # first: deriving the accepted sizes may add a warning
    for warning in report.warnings:
        click.echo(warning.format(), err=True)
    console.print(report_table(report, expand))
    for line in lines:
        console.print(line, highlight=False, markup=False)


@main.command()
@spec_argument
@input_option
@set_option
@click.option("--expand", is_flag=True, help="One row per primitive node instead of per spec node.")
@user_errors
def check(spec, inputs, sets, expand):
    """Validate SPEC and print its shape table (no torch needed)."""
    import segkit

    report = segkit.check(spec, parse_input_option(inputs), **parse_sets(sets))
    _print_report(report, expand)


@main.command()
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
    import segkit
    from segkit.compile import compile_graph

    params = parse_sets(sets)
    report = segkit.check(spec, parse_input_option(inputs), train_heads=not inference, **params)
    model = compile_graph(report.graph)
    loaded = None
    if weights:  # with --inference, the weights of the left-out training-only heads are skipped
        full = segkit.check(spec, parse_input_option(inputs), **params).graph if inference else report.graph
        ignore = [f"{node}.*" for node in full.nodes if node not in report.graph.nodes]
        loaded = segkit.load_weights(model, weights, format=weights_format, ignore=ignore)
    _print_report(report, expand)
    if loaded is not None:
        click.echo(loaded.summary())
    actual = sum(p.numel() for p in model.parameters())
    click.echo(f"compiled: {type(model).__name__} with {actual:,} parameters")
    if code:
        click.echo(model.code)
    if save:
        from segkit.checkpoint import save_module

        save_module(model, save, spec=report.graph.spec, params=report.graph.params)
        click.echo(f"saved {save}")


@main.command()
@spec_argument
@set_option
@user_errors
def resolve(spec, sets):
    """Print SPEC after extends/params merging, with where each key came from."""
    from segkit.resolve_print import render
    from segkit.spec.resolve import evaluate_params
    from segkit.spec.schema import load_spec

    loaded = load_spec(spec)
    values = evaluate_params(loaded, parse_sets(sets), SourceLoc("--set"))
    click.echo(render(loaded, values))


@main.command()
@click.argument("name", required=False)
@user_errors
def blocks(name):
    """List registered blocks, or document the params of block NAME."""
    from segkit.registry import default_registry
    from segkit.tables import block_doc_table, blocks_table

    registry = default_registry()
    console = _console()
    if name is None:
        console.print(blocks_table(registry))
        return
    block = registry.block(name, SourceLoc("<command line>"))
    console.print(block_doc_table(name, block))
    if block.doc:
        console.print("\n" + " ".join(block.doc.split()), highlight=False, markup=False)


@main.command()
@user_errors
def specs():
    """List the specs that commands accept by name."""
    from rich.table import Table

    from segkit.registry import default_registry

    table = Table(title="registered specs", title_justify="left")
    for col in ("name", "from", "file"):
        table.add_column(col, no_wrap=True)
    for name, entry in sorted(default_registry().specs.items()):
        table.add_row(name, entry.dist, str(entry.obj))
    _console().print(table)


@main.command()
@user_errors
def plugins():
    """List plugins: distribution, version, what each registers, conflicts and failures."""
    from rich.table import Table

    from segkit.plugin_report import plugin_rows
    from segkit.registry import default_registry

    registry = default_registry()
    table = Table(title="plugins", title_justify="left")
    for col in ("plugin", "distribution", "version", "registers"):
        table.add_column(col, overflow="fold")
    for row in plugin_rows(registry):
        table.add_row(*row)
    console = _console()
    console.print(table)
    for (kind, name), entries in sorted(registry.conflicts.items()):
        who = " and ".join(f"{e.dist} ({e.plugin})" for e in entries)
        console.print(f"conflict: {kind} {name!r} is registered by {who}; using it is an error", highlight=False,
                      markup=False)
    for failure in registry.failures:
        console.print(f"failed: plugin {failure.name!r} from {failure.dist}: {failure.cause}", highlight=False,
                      markup=False)


from segkit import cli_train  # noqa: E402,F401  (registers train, eval, predict)


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the schema here instead of stdout.")
@user_errors
def schema(output):
    """Print the JSON Schema of spec files (every registered block's params included).

    Editors: put `# yaml-language-server: $schema=segkit.schema.json` on a spec's first line.
    """
    import json

    from segkit.registry import default_registry
    from segkit.schema_export import spec_schema

    text = json.dumps(spec_schema(default_registry()), indent=1)
    if output:
        from pathlib import Path

        Path(output).write_text(text + "\n")
        click.echo(f"wrote {output}")
    else:
        click.echo(text)


@main.command()
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

    import segkit
    from segkit.graph_export import run_dot, to_dot, to_mermaid

    report = segkit.check(spec, parse_input_option(inputs), **parse_sets(sets))
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


@main.command()
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 naming the generated files that are stale.")
@click.option("--root", default=".", show_default=True, type=click.Path(file_okay=False),
              help="The segkit checkout whose docs to regenerate.")
@user_errors
def docs(check_only, root):
    """Regenerate the generated docs: block and CLI references, architecture table,
    gallery (pages and graph pictures) and README's table of architectures."""
    from pathlib import Path

    from segkit.docgen import site, sync
    from segkit.registry import default_registry

    generated = site.generate(Path(root), default_registry(), main)
    outcome = (sync.check if check_only else sync.write)(generated, Path(root))
    for note in outcome.notes:
        click.echo(f"note: {note}", err=True)
    if check_only and outcome.changed:
        click.echo("stale generated docs:\n" + "\n".join(f"  {rel}" for rel in outcome.changed)
                   + f"\nrun `{sync.COMMAND}` to regenerate them", err=True)
        sys.exit(1)
    for rel in outcome.changed:
        click.echo(f"updated {rel}")
    click.echo("generated docs are up to date" if check_only or not outcome.changed
               else f"{len(outcome.changed)} files updated")


from segkit import cli_export  # noqa: E402,F401

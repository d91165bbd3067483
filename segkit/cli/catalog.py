"""Commands that list what is registered: ``blocks``, ``specs``, ``plugins`` and ``schema``."""
from __future__ import annotations

import click

from segkit.cli.options import console, registry, user_errors
from segkit.errors import SourceLoc
from segkit.lang.json_schema import spec_schema
from segkit.plugins.inventory import plugin_rows
from segkit.views.tables import block_doc_table, blocks_table

# rich is imported inside functions: optional for what most callers do.



@click.command()
@click.argument("name", required=False)
@user_errors
def blocks(name):
    """List registered blocks, or document the params of block NAME."""
    found = registry()
    out = console()
    if name is None:
        out.print(blocks_table(found))
        return
    block = found.block(name, SourceLoc("<command line>"))
    out.print(block_doc_table(name, block))
    if block.doc:
        out.print("\n" + " ".join(block.doc.split()), highlight=False, markup=False)


@click.command()
@user_errors
def specs():
    """List the specs that commands accept by name."""
    from rich.table import Table

    table = Table(title="registered specs", title_justify="left")
    for col in ("name", "from", "file"):
        table.add_column(col, no_wrap=True)
    for name, entry in sorted(registry().specs.items()):
        table.add_row(name, entry.dist, str(entry.obj))
    console().print(table)


@click.command()
@user_errors
def plugins():
    """List plugins: distribution, version, what each registers, conflicts and failures."""
    from rich.table import Table

    found = registry()
    table = Table(title="plugins", title_justify="left")
    for col in ("plugin", "distribution", "version", "registers"):
        table.add_column(col, overflow="fold")
    for row in plugin_rows(found):
        table.add_row(*row)
    out = console()
    out.print(table)
    for (kind, name), entries in sorted(found.conflicts.items()):
        who = " and ".join(f"{e.dist} ({e.plugin})" for e in entries)
        out.print(f"conflict: {kind} {name!r} is registered by {who}; using it is an error", highlight=False,
                      markup=False)
    for failure in found.failures:
        out.print(f"failed: plugin {failure.name!r} from {failure.dist}: {failure.cause}", highlight=False,
                      markup=False)


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the schema here instead of stdout.")
@user_errors
def schema(output):
    """Print the JSON Schema of spec files (every registered block's params included).

    Editors: put `# yaml-language-server: $schema=segkit.schema.json` on a spec's first line.
    """
    import json

    text = json.dumps(spec_schema(registry()), indent=1)
    if output:
        from pathlib import Path

        Path(output).write_text(text + "\n")
        click.echo(f"wrote {output}")
    else:
        click.echo(text)


COMMANDS = (blocks, specs, plugins, schema,)

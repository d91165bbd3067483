"""``segkit docs``: regenerate (or check) the generated documentation pages."""
from __future__ import annotations

import sys

import click

from segkit.cli.options import registry, user_errors
from segkit.docgen import site, sync


@click.command()
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 naming the generated files that are stale.")
@click.option("--root", default=".", show_default=True, type=click.Path(file_okay=False),
              help="The segkit checkout whose docs to regenerate.")
@user_errors
def docs(check_only, root):
    """Regenerate the generated docs: block and CLI references, architecture table,
    gallery (pages and graph pictures), the encoder table and README's table of architectures."""
    from pathlib import Path

    generated = site.generate(Path(root), registry(), click.get_current_context().find_root().command)
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


COMMANDS = (docs,)

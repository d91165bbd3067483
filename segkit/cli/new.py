"""``segkit new plugin NAME``: write a plugin package to start from (the templates of
:mod:`segkit.scaffold.plugin`). Torch-free."""
from __future__ import annotations

import click

from segkit.cli.options import user_errors
from segkit.scaffold import plugin as scaffold


@click.command("new")
@click.argument("kind", type=click.Choice(["plugin"]), metavar="plugin")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="The folder to write the package to; it must not exist or be empty [default: ./segkit-NAME].")
@user_errors
def new(kind, name, directory):
    """Write a plugin package to start from: a Python block, a YAML block, a dataset, a
    spec using the blocks, the `segkit` entry point, a README and tests that pass as
    written. NAME gives the distribution `segkit-NAME`, the module `segkit_NAME` and the
    names of what it registers (`NAME_gate`, `NAME_unit`, `NAME_net`, dataset `NAME`)."""
    target, written = scaffold.new_plugin(name, directory)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: pip install -e {target} && segkit plugins && pytest {target / 'tests'}")


COMMANDS = (new,)

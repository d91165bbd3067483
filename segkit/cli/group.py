"""The ``segkit`` command line (click). Thin: parse arguments, call the API, print.

Each command group is a module of its own with a ``COMMANDS`` list. The group imports a
module only when one of its commands runs (click's "lazily loading subcommands"
pattern), so ``segkit check`` never pays for the trainer, the exporters or the docs
site; :data:`COMMAND_MODULES` says where each command lives (a test keeps it equal to
the modules' ``COMMANDS``). Every user error is a SegkitError, printed as
``file:line:col: error: ...`` with exit status 2 and no traceback (``--debug`` shows
one; see :mod:`segkit.cli.options`).
"""
from __future__ import annotations

import importlib

import click

# Command modules are imported on demand (below), to keep `segkit check` fast and torch-free.

COMMAND_MODULES: dict[str, str] = {
    "check": "check", "build": "inspect", "merge": "inspect", "resolve": "inspect", "graph": "inspect",
    "blocks": "catalog", "specs": "catalog", "plugins": "catalog", "schema": "catalog",
    "train": "train", "eval": "train", "predict": "train",
    "export": "export", "bench": "export",
    "import": "importer",
    "sizes": "sizes",
    "new": "new",
    "docs": "docs",
}


def command_named(name: str) -> click.Command:
    """The command ``name``, importing the module of :data:`COMMAND_MODULES` that defines it."""
    module = importlib.import_module(f"segkit.cli.{COMMAND_MODULES[name]}")
    return next(command for command in module.COMMANDS if command.name == name)


class LazyGroup(click.Group):
    """A click group whose commands are imported when they are looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return command_named(cmd_name) if cmd_name in COMMAND_MODULES else None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="segkit")
def main():
    """segkit: segmentation networks as YAML graph specs."""

"""The ``segkit`` command line (click). Thin: parse arguments, call the API, print.

Each command group is a module of its own, whose ``COMMANDS`` this group adds; every
user error is a SegkitError, printed as ``file:line:col: error: ...`` with exit status
2 and no traceback (``--debug`` shows one; see :mod:`segkit.cli.options`).
"""
from __future__ import annotations

import click

from segkit.cli import catalog, docs, export, importer, inspect, new, sizes, train


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="segkit")
def main():
    """segkit: segmentation networks as YAML graph specs."""


for _group in (inspect, catalog, train, export, importer, sizes, new, docs):
    for _command in _group.COMMANDS:
        main.add_command(_command)

"""``segkit check``: validate a spec and print its shape table, torch-free. A module of
its own so that the command loads only what checking needs (and ``build`` shares its
report printer)."""
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
from segkit.views.tables import report_table, summary_lines


def print_report(report, expand: bool) -> None:
    """The warnings (to stderr), the shape table and the summary lines of ``report``."""
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
    print_report(report, expand)


COMMANDS = (check,)

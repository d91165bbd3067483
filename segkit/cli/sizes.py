"""``segkit sizes``: the input sizes a spec accepts, the nearest ones to a given size,
what ``segkit predict`` does with that size, and the TensorRT profile of an engine
built from ``segkit export --dynamic``'s ONNX file. Torch-free."""
from __future__ import annotations

import click

from segkit import api
from segkit.analysis.size_rule import describe
from segkit.cli.options import (
    input_option,
    parse_input_option,
    parse_sets,
    registry,
    set_option,
    spec_argument,
    user_errors,
)
from segkit.errors import InputError, SourceLoc
from segkit.export import dynamic as plan


def parse_size(text: str, rank: int) -> tuple[int, ...]:
    """``500x375`` (one number per spatial dim, or one for all) -> (500, 375)."""
    try:
        values = tuple(int(part) for part in text.lower().split("x"))
    except ValueError:
        values = ()
    if len(values) == 1:
        values *= rank
    if len(values) != rank or min(values) < 1:
        example = "x".join(["512"] * rank)
        raise InputError(f"--near takes {rank} positive sizes joined by x, got {text!r}", SourceLoc("--near"),
                         f"e.g. --near {example}")
    return values


@click.command("sizes")
@spec_argument
@input_option
@set_option
@click.option("--near", metavar="HxW", default=None,
              help="A size to place: the nearest accepted sizes and predict's pad/crop plan [default: the input's].")
@click.option("--max-size", type=click.IntRange(min=1), default=plan.MAX_SIZE, show_default=True,
              help="Largest size per dim of the TensorRT profile (and of a dynamic ExportedProgram).")
@user_errors
def sizes_command(spec, inputs, sets, near, max_size):
    """Print the input sizes SPEC accepts (e.g. "H, W a multiple of 32, >= 32"), the
    accepted sizes nearest to --near, the pad/crop plan `segkit predict` applies to an
    image of that size, and a trtexec min/opt/max profile line for engines built from
    the ONNX file of `segkit export --dynamic`."""
    report = api.check(spec, parse_input_option(inputs), registry(), train_heads=False, **parse_sets(sets))
    rules = report.accepted_sizes
    name, shape = next(iter(report.graph.input_shapes.items()))
    size = parse_size(near, shape.rank) if near else shape.spatial
    click.echo(f"{report.graph.name}: {describe(rules)}")
    where = "x".join(map(str, size))
    dims = ("D", "H", "W")[-shape.rank:]
    nearest = "; ".join(f"{d} {', '.join(map(str, found)) or 'none'}"
                        for d, found in zip(dims, plan.nearest_sizes(rules, size)))
    click.echo(f"nearest accepted to {where}: {nearest}")
    click.echo(f"predict: {plan.pad_plan(rules, size).describe()}")
    exported = plan.exported_rules(rules, tuple(rule.at_least(s) or s for rule, s in zip(rules, size)))
    if exported != rules:
        click.echo(f"a dynamic ExportedProgram exported at this size takes {describe(exported)} (one residue "
                   "class per dim); the ONNX file takes every accepted size")
    profile = plan.trt_profile(name, shape.channels, rules, size, max_size=max_size)
    if profile is None:
        click.echo("TensorRT profile: none (no accepted size)")
    else:
        click.echo(f"TensorRT profile (trtexec): {profile}")
        click.echo("  the profile is a box: sizes inside it that the rule does not accept still fail")


COMMANDS = (sizes_command,)

"""``segkit import``: turn a timm, torchvision or any PyTorch CNN into a spec and a
state dict. Torch is imported inside the command, so that importing this module, and
so `segkit check`, stays torch-free."""
from __future__ import annotations

from pathlib import Path

import click

from segkit.cli.options import user_errors
from segkit.core.shape import Shape
from segkit.errors import InputError, SourceLoc
from segkit.importer import import_model
from segkit.importer.sources import load_source

# torch is imported inside the command, so that importing this module, and so `segkit check`, stays torch-free.


@click.command("import")
@click.argument("source")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The spec file to write.")
@click.option("--weights", type=click.Path(dir_okay=False), help="Also write the state dict for the spec (.pt).")
@click.option("--from-weights", type=click.Path(exists=True, dir_okay=False),
              help="Load this checkpoint of the source's library into it first.")
@click.option("--input", "input_", default="3x224x224", show_default=True, metavar="CxHxW",
              help="Example input size the model is traced at.")
@user_errors
def import_command(source, output, weights, from_weights, input_):
    """Import SOURCE (timm:NAME, torchvision:NAME or module.path:factory) as a segkit spec.

    Every fx node maps onto segkit ops exactly, or the import is refused, naming the node."""
    import torch

    try:
        shape = Shape.parse(input_)
    except ValueError as exc:
        raise InputError(str(exc), SourceLoc("--input"), "sizes look like 3x224x224") from None
    module = load_source(source, from_weights, shape.spatial).eval()
    imported = import_model(module, shape, name=source.rpartition(":")[2])
    Path(output).write_text(imported.spec)
    if weights:
        torch.save(imported.state_dict, weights)
    click.echo(f"wrote {output} ({len(imported.spec.splitlines())} lines; outputs {', '.join(imported.outputs)})"
               + (f" and {weights}" if weights else ""))


COMMANDS = [import_command]

"""The ``segkit`` command: thin click commands, one module per command group, added to
the group in :mod:`.main`."""
from segkit.cli.group import main

__all__ = ["main"]

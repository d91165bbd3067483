"""What every command shares: ``--set`` and ``--input`` parsing, the spec argument,
the rich console, and ``user_errors``, which turns a SegkitError into a located message
and exit status 2 (never a traceback; ``--debug`` adds one, with the same status)."""
from __future__ import annotations

import functools
import sys
import traceback

import click

from segkit import api
from segkit.errors import InputError, SegkitError, SourceLoc
from segkit.lang.loader import load_yaml

# rich is imported inside functions: optional for what most callers do.


EXIT_USER_ERROR = 2


def parse_sets(items: tuple[str, ...]) -> dict:
    """``--set k=v`` pairs; values are YAML scalars (``--set output_stride=8``)."""
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
    """Turn SegkitErrors and OSErrors into a located message and exit code 2, and Ctrl-C
    into "interrupted" and exit code 130."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        debug = kwargs.pop("debug", False)
        try:
            return fn(*args, **kwargs)
        except SegkitError as exc:
            if debug:  # the traceback too, and the same exit status as without --debug
                traceback.print_exc()
            click.echo(exc.format(), err=True)
            sys.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except OSError as exc:  # the file system refused: an unwritable --out, a full disk, ...
            if debug:
                traceback.print_exc()
            click.echo(os_error(exc).format(), err=True)
            sys.exit(EXIT_USER_ERROR)
        except Exception as exc:  # a bug in segkit or a plugin: say so, in one line
            if debug:
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                       "  this is a bug; run again with --debug for the traceback and report it", err=True)
            sys.exit(1)

    return click.option("--debug", is_flag=True, help="Show Python tracebacks.")(wrapper)


def os_error(exc: OSError) -> InputError:
    """An OSError as a user error at the path it names, with its cause."""
    path = exc.filename if exc.filename is not None else "<file system>"
    cause = exc.strerror or str(exc)
    if exc.filename2 is not None:
        cause += f" (and {exc.filename2})"
    return InputError(cause, SourceLoc(str(path)), "check that the path exists, is writable and has space")


spec_argument = click.argument("spec")
input_option = click.option("--input", "inputs", multiple=True, metavar="CxHxW",
                            help="Input size, e.g. 3x512x512 (name=CxHxW for several inputs).")
set_option = click.option("--set", "sets", multiple=True, metavar="K=V", help="Override a spec param.")


def console():
    from rich.console import Console

    return Console(width=max(120, Console().width))


def registry():
    """The registry the commands use: the one a caller put in the click context
    (``main(obj={"registry": ...})``, as tests do), else the installed plugins'."""
    obj = click.get_current_context().obj
    given = obj.get("registry") if isinstance(obj, dict) else None
    return given or api.default_registry()

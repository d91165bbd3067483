"""The SegkitError hierarchy: every user-facing error carries a source location.

The CLI prints these as compiler-style messages (``file:line:col: error: ...``) and
exits with status 2; anything else escaping is a bug in segkit.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceLoc:
    """Where a value came from: file, 1-based line and column, and its YAML path."""

    file: str = "<unknown>"
    line: int = 0
    column: int = 0
    path: tuple = field(default=())

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file

    def breadcrumb(self) -> str:
        """The YAML path as ``nodes > enc > depth``."""
        return " > ".join(str(p) for p in self.path)


class SegkitError(Exception):
    """Base of every error segkit reports to a user.

    ``hint`` is an optional second line telling the user what to try.
    """

    kind = "error"

    def __init__(self, message: str, loc: SourceLoc | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.loc = loc or SourceLoc()
        self.hint = hint
        self.notes: list[str] = []

    def format(self) -> str:
        """One-screen, compiler-style text of the error."""
        text = f"{self.loc}: {self.kind}: {self.message}"
        if self.loc.path:
            text += f"\n  in: {self.loc.breadcrumb()}"
        for note in self.notes:
            text += f"\n  {note}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.format()


class SpecSyntaxError(SegkitError):
    """The YAML itself is malformed or uses a forbidden tag."""


class SpecSchemaError(SegkitError):
    """A key is unknown, missing, or has the wrong type."""


class ExpressionError(SegkitError):
    """A ``${...}`` expression does not parse or fails to evaluate."""


class ReferenceError_(SegkitError):
    """A ``from`` or node reference names nothing that exists."""


class GraphError(SegkitError):
    """The graph is malformed: cycles, duplicate ids, missing outputs."""


class ShapeError(SegkitError):
    """A block cannot accept the shapes flowing into it."""


class RegistryError(SegkitError):
    """A block, spec or plugin name is unknown or registered twice."""


class InputError(SegkitError):
    """A command-line argument or data file is invalid."""


class MismatchError(ShapeError):
    """Two inputs of a multi-input block disagree; ``pair`` holds their input indices so
    the inference pass can name both producer nodes and their shapes."""

    def __init__(self, message: str, pair: tuple[int, int], hint: str | None = None):
        super().__init__(message, hint=hint)
        self.pair = pair

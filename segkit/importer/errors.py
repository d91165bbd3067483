"""The importer's user error: an fx node with no exact segkit form."""
from __future__ import annotations

from segkit.errors import SegkitError, SourceLoc


class ImportRefusal(SegkitError):
    """An fx node that cannot be imported exactly; the location names the node and op."""


def refusal(node, op: str, why: str, hint: str | None = None) -> ImportRefusal:
    """The refusal of fx ``node`` (its ``op``: a module class, function or method name)."""
    return ImportRefusal(why, SourceLoc(f"fx node {node.name!r} ({op})"), hint)

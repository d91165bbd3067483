"""Param docs of YAML specs, taken from their comments.

A YAML composite block documents a param with a comment on the param's line
(``features: 256   # width of the block``) or on the lines just above it; ``segkit
blocks NAME`` and the generated docs show that text. PyYAML drops comments, so they are
read back from the source lines the loader recorded.
"""
from __future__ import annotations

from pathlib import Path


def _comment(line: str) -> str | None:
    """The text after a ``#`` that is outside quotes, or None."""
    quote = None
    for k, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (k == 0 or line[k - 1] in " \t"):
            return line[k + 1:].strip()
    return None


def param_docs(spec) -> dict[str, str]:
    """Doc text of each param of ``spec`` from its YAML comments ("" when none)."""
    docs = {name: "" for name in spec.params}
    if spec.path is None:
        return docs
    try:
        lines = Path(spec.path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return docs
    for name in spec.params:
        loc = spec.locs.locs.get(("params", name))
        if loc is None or loc.file != str(spec.path) or not loc.line:
            continue
        text = _comment(lines[loc.line - 1])
        above = []
        k = loc.line - 2
        while k >= 0 and lines[k].strip().startswith("#"):
            above.insert(0, lines[k].strip().lstrip("#").strip())
            k -= 1
        docs[name] = " ".join(part for part in (*above, text) if part)
    return docs

"""Small Markdown helpers shared by the page generators: tables, code spans, numbers,
links and the paths of files shown on a page."""
from __future__ import annotations

import posixpath
import re
from pathlib import Path

CODE_SPAN = re.compile(r"(`+).+?\1")


def _outside_code(text: str, fn) -> str:
    """``text`` with ``fn`` applied to the parts outside code spans."""
    out, last = [], 0
    for span in CODE_SPAN.finditer(text):
        out += [fn(text[last:span.start()]), span.group()]
        last = span.end()
    return "".join(out) + fn(text[last:])


def cell(text) -> str:
    """``text`` as one table cell: line breaks folded to spaces, pipes escaped outside
    code spans (Python-Markdown, which mkdocs uses, splits cells only there)."""
    return _outside_code(" ".join(str(text).split()), lambda part: part.replace("|", "\\|"))


def prose(text) -> str:
    """Free text (a docstring, a spec description, a note) as Markdown that shows it as
    written: whitespace folded, and outside code spans ``<``, ``_``, ``*`` and ``\\``
    escaped, so ``conv<s>_<k>`` is neither an HTML tag nor emphasis."""
    return _outside_code(" ".join(str(text).split()), _escape)


def _escape(text: str) -> str:
    for char in "\\_*":
        text = text.replace(char, "\\" + char)
    return text.replace("<", "&lt;")


def code(text) -> str:
    """An inline code span that survives backticks in ``text``."""
    text = str(text)
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def table(header: list[str], rows: list[list], align: str = "") -> str:
    """A pipe table; ``align`` has one letter per column (``l``, ``r``), default left."""
    align = align.ljust(len(header), "l")
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "| " + " | ".join(rule) + " |"]
    lines.extend("| " + " | ".join(cell(c) for c in row) + " |" for row in rows)
    return "\n".join(lines) + "\n"


def gmacs(macs: int) -> str:
    """MACs as GMACs with two decimals (the precision the reference figures use)."""
    return f"{macs / 1e9:.2f}"


def link(text: str, target: str, start: str) -> str:
    """A Markdown link from the page at ``start`` to ``target`` (both relative to docs/)."""
    return f"[{text}]({posixpath.relpath(target, posixpath.dirname(start) or '.')})"


def shown_path(path: Path, root: Path) -> str:
    """``path`` as a page shows it: relative to the checkout ``root`` when inside it (the
    same on every machine), else just the file name (an installed plugin's file)."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name

"""``segkit new plugin NAME``: a plugin package to start from, as cookiecutter templates
give llm's and datasette's authors one: a Python block, a YAML block, a dataset, a spec
using the blocks, the ``segkit`` entry point, a README and tests that pass as written.

The templates are package data (``templates/plugin/``, each file ending in ``.tmpl`` so
that nothing imports, collects or lints them here). File contents and path parts are
rendered by plain string substitution of the identifiers derived from NAME
(:func:`identifiers`); no template engine, so a template reads as the file it becomes.
"""
from __future__ import annotations

import re
from pathlib import Path

from segkit.errors import InputError, SourceLoc

TEMPLATES = Path(__file__).parent / "templates" / "plugin"
SUFFIX = ".tmpl"
IDENT = re.compile(r"[a-z][a-z0-9_]*")


def identifiers(name: str) -> dict[str, str]:
    """The placeholders of the templates and their values for NAME: ``My-Tiles`` gives
    ``{{name}}`` ``my_tiles`` (entry point, dataset, prefix of block and spec names),
    ``{{module}}`` ``segkit_my_tiles``, ``{{dist}}`` ``segkit-my-tiles`` and ``{{Name}}``
    ``MyTiles`` (class prefix). A leading ``segkit-`` is dropped; an InputError when what
    remains is not a lower-case identifier."""
    ident = re.sub(r"[-. ]+", "_", name.strip().lower()).removeprefix("segkit_")
    if not IDENT.fullmatch(ident):
        raise InputError(f"plugin name {name!r} is not an identifier after normalising (got {ident!r})",
                         SourceLoc("NAME"), "use letters, digits, '-' and '_', starting with a letter: e.g. my-blocks")
    return {"{{name}}": ident, "{{module}}": f"segkit_{ident}", "{{dist}}": "segkit-" + ident.replace("_", "-"),
            "{{Name}}": "".join(part.capitalize() for part in ident.split("_"))}


def render(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def new_plugin(name: str, target: Path | str | None = None) -> tuple[Path, list[Path]]:
    """Write the plugin package for NAME to ``target`` (default ``./segkit-NAME``), which
    must not exist or be empty; the folder and the files written."""
    values = identifiers(name)
    target = Path(target if target is not None else values["{{dist}}"])
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(f"{target} already exists and is not an empty folder", SourceLoc(str(target)),
                         "choose another --dir, or remove it first")
    written = []
    for template in sorted(TEMPLATES.rglob("*" + SUFFIX)):
        path = target / render(str(template.relative_to(TEMPLATES)), values).removesuffix(SUFFIX)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(template.read_text(encoding="utf-8"), values), encoding="utf-8")
        written.append(path)
    return target, written

"""The docstrings written under a params model's fields, read when asked.

A block documents each param with a string literal under its field (PEP 257's
"attribute docstrings")::

    class Params(segkit.Params):
        out: int
        \"\"\"Output channels.\"\"\"

pydantic can collect these at class creation (``use_attribute_docstrings``), but that
re-reads and re-parses every block module's source when the registry loads, the largest
single cost of ``segkit check``'s start. Only ``segkit blocks``, the docs and the JSON
schema need them, so they are parsed here, on first use, and cached per class.
"""
from __future__ import annotations

import ast
import functools
import inspect
import textwrap


def field_docs(model: type) -> dict[str, str]:
    """Field name -> its documentation, for the fields of the pydantic ``model`` (its own
    and its bases'; in field order (a subclass's own
    docstring wins). An explicit ``Field(description=...)`` wins over both."""
    found: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        found.update(_own_docs(cls))
    docs = {}
    for name, info in model.model_fields.items():
        if info.description or name in found:
            docs[name] = info.description or found[name]
    return docs


@functools.cache
def _own_docs(cls: type) -> dict[str, str]:
    """The attribute docstrings in the body of ``cls`` itself (empty where its source
    cannot be read, e.g. a class made in a REPL)."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    body = next((node.body for node in tree.body if isinstance(node, ast.ClassDef)), [])
    docs = {}
    for field, after in zip(body, body[1:]):
        name = _assigned_name(field)
        if name and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) \
                and isinstance(after.value.value, str):
            docs[name] = inspect.cleandoc(after.value.value)
    return docs


def _assigned_name(statement: ast.stmt) -> str | None:
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id
    return None

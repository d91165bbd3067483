"""Every hook is specified with a docstring, documented in docs/plugins.md, and has a
test named after it (the datasette / llm rule)."""
from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from segkit.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[2]
HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("segkit_")]


def test_there_are_hooks():
    assert {"segkit_register_blocks", "segkit_register_specs", "segkit_register_datasets"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_docstring_docs_and_a_test(hook):
    assert (getattr(hookspecs, hook).__doc__ or "").strip(), f"{hook} has no docstring"
    assert f"`{hook}`" in (ROOT / "docs" / "plugins.md").read_text(), f"{hook} is not in docs/plugins.md"
    tests = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    assert f"def test_{hook}" in tests, f"no test named test_{hook}* exists"

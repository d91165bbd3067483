"""segkit.plugin is the one module plugin authors import: the shipped plugins and the
tutorial's example import nothing else of segkit, and importing it imports no torch."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import segkit.plugin

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_SOURCES = sorted([*ROOT.glob("plugins/*/segkit_*/*.py"), *ROOT.glob("docs/examples/*/segkit_*/*.py")])


def segkit_imports(path: Path) -> list[str]:
    """The segkit modules ``path`` imports (at any depth)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [name for name in found if name == "segkit" or name.startswith("segkit.")]


def test_there_are_plugin_sources_to_check():
    assert len(PLUGIN_SOURCES) >= 10


@pytest.mark.parametrize("path", PLUGIN_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_plugins_import_only_the_public_surface(path):
    assert set(segkit_imports(path)) <= {"segkit.plugin"}, f"{path}: import from segkit.plugin only"


def test_the_checker_sees_other_imports(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import segkit\nfrom segkit.core.block import Block\ndef f():\n    from segkit.plugin import Block\n")
    assert segkit_imports(bad) == ["segkit", "segkit.core.block", "segkit.plugin"]


def test_every_public_name_resolves():
    for name in segkit.plugin.__all__:
        assert getattr(segkit.plugin, name) is not None, name
    with pytest.raises(AttributeError):
        segkit.plugin.not_a_name  # noqa: B018


def test_importing_it_imports_no_torch():
    code = "import sys, segkit.plugin; assert 'torch' not in sys.modules, 'segkit.plugin imported torch'"
    subprocess.run([sys.executable, "-c", code], check=True)

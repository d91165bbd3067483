"""``segkit new plugin NAME``: the package it writes imports segkit only through
``segkit.plugin``, installs, is discovered through its entry point, its spec checks, and
its own tests pass (run in a separate pytest process against the installed package, as
its author would: see test_plugin_tutorial.py); bad names and occupied folders are
refused with exit status 2."""
from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from click.testing import CliRunner

from segkit.cli import main
from segkit.scaffold.plugin import identifiers

FILES = {"README.md", "pyproject.toml", "tests/test_block.py", "tests/test_dataset.py", "tests/test_spec.py",
         "segkit_my_tiles/__init__.py", "segkit_my_tiles/block.py", "segkit_my_tiles/module.py",
         "segkit_my_tiles/dataset.py", "segkit_my_tiles/plugin.py", "segkit_my_tiles/my_tiles_unit.yaml",
         "segkit_my_tiles/my_tiles_net.yaml"}


def _new(*args):
    return CliRunner().invoke(main, ["new", "plugin", *args])


def _run(*args, cwd):
    return subprocess.run([sys.executable, *args], check=False, cwd=cwd, capture_output=True, text=True)


def _segkit_imports(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "segkit"}


def test_names_are_normalised_into_identifiers():
    values = identifiers(" Segkit-My.Tiles ")
    assert values == {"{{name}}": "my_tiles", "{{module}}": "segkit_my_tiles", "{{dist}}": "segkit-my-tiles",
                      "{{Name}}": "MyTiles"}


@pytest.mark.parametrize("name", ["9lives", "my/tiles", "tiles!", "segkit-", "ünï"])
def test_a_name_that_is_no_identifier_is_refused(name, tmp_path):
    result = _new(name, "--dir", str(tmp_path / "out"))
    assert result.exit_code == 2 and "is not an identifier after normalising" in result.output
    assert not (tmp_path / "out").exists()


def test_an_occupied_folder_is_refused(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = _new("tiles", "--dir", str(tmp_path))
    assert result.exit_code == 2 and "already exists and is not an empty folder" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_the_package_is_rendered_and_imports_segkit_only_through_segkit_plugin(tmp_path):
    result = _new("my-tiles", "--dir", str(tmp_path / "pkg"))
    assert result.exit_code == 0, result.output
    written = {str(p.relative_to(tmp_path / "pkg")) for p in (tmp_path / "pkg").rglob("*") if p.is_file()}
    assert written == FILES
    for rel in written:
        text = (tmp_path / "pkg" / rel).read_text()
        assert "{{" not in text, f"{rel} has an unrendered placeholder"
        if rel.endswith(".py"):
            assert _segkit_imports(text) <= {"segkit.plugin"}, rel


def test_the_package_installs_checks_and_passes_its_own_tests(tmp_path):
    package = tmp_path / "segkit-my-tiles"
    assert _new("my-tiles", "--dir", str(package)).exit_code == 0
    installed = _run("-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q", str(package), cwd=tmp_path)
    if installed.returncode != 0:
        pytest.fail(installed.stderr[-2000:])
    try:
        listing = _run("-m", "segkit", "plugins", cwd=tmp_path)
        assert listing.returncode == 0, listing.stderr
        for name in ("segkit-my-tiles", "my_tiles_gate", "my_tiles_unit", "my_tiles_net"):
            assert name in listing.stdout
        spec = package / "segkit_my_tiles" / "my_tiles_net.yaml"
        checked = _run("-m", "segkit", "check", str(spec), "--input", "3x64x64", cwd=tmp_path)
        assert checked.returncode == 0, checked.stderr
        assert "my_tiles_unit" in checked.stdout and "2x64x64" in checked.stdout
        own = _run("-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests"), cwd=tmp_path)
        assert own.returncode == 0 and "7 passed" in own.stdout, own.stdout[-3000:] + own.stderr[-2000:]
    finally:
        _run("-m", "pip", "uninstall", "-y", "-q", "segkit-my-tiles", cwd=tmp_path)

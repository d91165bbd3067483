"""The plugin tutorial: its code is the tested example package, and that package,
pip-installed from a temp dir, is discovered through its entry point and passes its own
tests (run as its author would, in a separate pytest process against the installed
package: the example's ``tests`` folder would otherwise clash with segkit's ``tests``
package, and ``segkit_gate`` is importable only once installed)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "plugins.md"
EXAMPLE = ROOT / "docs" / "examples" / "segkit-gate"
INCLUDE = re.compile(r"<!-- include: (?P<path>[^ ]+) -->\n```\w*\n(?P<body>.*?)```\n", re.S)


def test_tutorial_code_is_the_example_package():
    blocks = list(INCLUDE.finditer(DOC.read_text()))
    assert len(blocks) >= 6
    for block in blocks:
        assert block["body"] == (ROOT / block["path"]).read_text(), f"docs/plugins.md is stale for {block['path']}"
    shown = {block["path"] for block in blocks}
    files = {str(p.relative_to(ROOT)) for p in EXAMPLE.rglob("*") if p.is_file() and p.suffix in (".py", ".toml", ".yaml")
             and p.name != "__init__.py"}
    assert files <= shown, f"example files the tutorial does not show: {files - shown}"


def _segkit(*args, cwd):
    return subprocess.run([sys.executable, "-m", "segkit", *args], cwd=cwd, capture_output=True, text=True)


def _pytest(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=cwd,
                          capture_output=True, text=True)


def _pip(*args):
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)


def test_throwaway_plugin_is_discovered_after_pip_install_and_usable_from_yaml(tmp_path):
    package = tmp_path / "segkit-gate"
    shutil.copytree(EXAMPLE, package, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    installed = _pip("install", "--no-deps", "--no-build-isolation", "-q", str(package))
    if installed.returncode != 0:
        pytest.fail(installed.stderr[-2000:])
    try:
        listing = _segkit("plugins", cwd=tmp_path)
        assert listing.returncode == 0, listing.stderr
        assert "segkit-gate" in listing.stdout and "gated_unit" in listing.stdout
        spec = tmp_path / "uses_gate.yaml"
        spec.write_text("segkit: 1\nname: uses-gate\ninputs: {image: 3}\n"
                        "nodes:\n  unit: {block: gated_unit, from: image, out: 8}\noutputs: {out: unit}\n")
        checked = _segkit("check", str(spec), "--input", "3x32x32", cwd=tmp_path)
        assert checked.returncode == 0, checked.stderr
        assert "8x32x32" in checked.stdout
        own = _pytest(str(package / "tests"), cwd=tmp_path)
        assert own.returncode == 0 and "1 passed" in own.stdout, own.stdout[-3000:] + own.stderr[-2000:]
    finally:
        _pip("uninstall", "-y", "-q", "segkit-gate")
    gone = _segkit("check", str(spec), cwd=tmp_path)
    assert gone.returncode == 2 and "unknown block 'gated_unit'" in gone.stderr and "Traceback" not in gone.stderr

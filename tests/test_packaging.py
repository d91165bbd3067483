"""Packaging and import-time guarantees."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent


def test_every_segkit_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "segkit").rglob("__init__.py")}
    assert found <= listed, f"add to pyproject.toml [tool.setuptools] packages: {sorted(found - listed)}"


def test_segkit_check_cli_never_imports_torch():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from segkit.cli import main\n"
        "result = CliRunner().invoke(main, ['check', 'specs/examples/segnet_tiny.yaml', '--expand'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'torch' not in sys.modules, 'segkit check imported torch'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_python_dash_m_segkit_runs():
    out = subprocess.run([sys.executable, "-m", "segkit", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and "check" in out.stdout and "build" in out.stdout

"""A plugin written against segkit 0.1's documentation (``segkit.block``, ``segkit.sizes``,
``segkit.shapes``, ``segkit.hookspecs``, ``segkit.data.lazy``, ``segkit.registry``,
``segkit.testing``), frozen in tests/plugins/frozen_plugin, keeps working unchanged:
pip-installed from a temp dir, it is discovered, its blocks check from YAML, its own
block test passes, and each old import path warns, naming the new place."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FROZEN = Path(__file__).resolve().parent / "frozen_plugin"


def _run(*args, cwd):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    package = tmp_path_factory.mktemp("frozen") / "segkit-frozen"
    shutil.copytree(FROZEN, package, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    done = _run("-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q", str(package), cwd=package.parent)
    if done.returncode != 0:
        pytest.fail(done.stderr[-2000:])
    yield package
    _run("-m", "pip", "uninstall", "-y", "-q", "segkit-frozen", cwd=package.parent)


def test_its_own_block_test_passes(installed):
    own = _run("-m", "pytest", "-q", "-p", "no:cacheprovider", str(installed / "tests"), cwd=installed.parent)
    assert own.returncode == 0 and "2 passed" in own.stdout, own.stdout[-3000:] + own.stderr[-2000:]


def test_its_blocks_check_from_yaml_and_a_bad_param_is_located(installed):
    spec = installed.parent / "uses_frozen.yaml"
    spec.write_text("segkit: 1\nname: uses-frozen\ninputs: {image: 3}\n"
                    "nodes:\n  unit: {block: frozen_repeat, from: image, times: 3}\noutputs: {out: unit}\n")
    checked = _run("-m", "segkit", "check", str(spec), "--input", "3x17x9", cwd=installed.parent)
    assert checked.returncode == 0, checked.stderr
    assert "3x17x9" in checked.stdout
    spec.write_text(spec.read_text().replace("times: 3", "times: 0"))
    refused = _run("-m", "segkit", "check", str(spec), cwd=installed.parent)
    assert refused.returncode == 2 and f"{spec}:5:" in refused.stderr and "times" in refused.stderr, refused.stderr


def test_each_old_path_warns_naming_the_new_place(installed):
    code = "import warnings; warnings.simplefilter('always'); import segkit_frozen.block, segkit_frozen.plugin"
    shown = _run("-c", code, cwd=installed.parent)
    assert shown.returncode == 0, shown.stderr
    for old, new in [("segkit.block", "segkit.core.block"), ("segkit.shapes", "segkit.core.shape"),
                     ("segkit.sizes", "segkit.core.size_algebra"), ("segkit.hookspecs", "segkit.plugins.hookspecs"),
                     ("segkit.data.lazy", "segkit.plugins.lazy")]:
        assert f"DeprecationWarning: {old} is deprecated: import from {new}" in shown.stderr, shown.stderr

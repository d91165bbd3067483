"""The plugin as segkit finds it: through the ``segkit`` entry-point group (faked, and
the real installed one in a child process), cheap to register, and every name it
provides. An uninstall is stood in for by SEGKIT_PLUGINS leaving the plugin out (the
shared environment keeps it installed) and, in-process, by fake entry points and
package metadata without it."""
from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
import segkit_saliency.plugin
from click.testing import CliRunner

from segkit.cli import main


class FakeEntryPoint:
    """An entry point of group ``segkit`` whose ``load()`` gives ``target``."""

    def __init__(self, name, target, dist="segkit-saliency"):
        self.name = name
        self.target = target
        self.dist = types.SimpleNamespace(name=dist, version="0.1.0")

    def load(self):
        return self.target


SMALL = ["--input", "rgb=3x64x64", "--input", "depth=1x64x64", "--input", "gt=1x64x64"]


def test_registers_its_blocks_spec_dataset_metrics_and_loss(registry):
    names = {kind: {name for name, e in table.items() if e.dist == "segkit-saliency"}
             for kind, table in registry.tables.items()}
    assert names["block"] == {"reparameterize", "train_switch", "gaussian_encoder", "triple_conv", "rcab",
                              "dense_aspp_head"}
    assert names["spec"] == {"ucnet"}
    assert names["dataset"] == {"rgbd_saliency"}
    assert names["metric"] == {"mae", "f_measure", "s_measure", "e_measure", "saliency"}
    assert names["loss"] == {"kl_gaussian"}
    assert not registry.conflicts and not registry.failures


def test_registration_imports_no_torch_or_numpy():
    code = ("import sys; sys.path.insert(0, %r)\n"
            "import segkit, segkit_saliency.plugin\n"
            "from segkit.plugins.manager import get_plugin_manager\n"
            "from segkit.plugins.registry import Registry\n"
            "plugins = get_plugin_manager(load_entry_points=False)\n"
            "plugins.manager.register(segkit_saliency.plugin, name='saliency')\n"
            "registry = Registry.from_plugins(plugins)\n"
            "assert segkit.check('ucnet', registry=registry).params > 0\n"
            "print(sorted(m for m in ('torch', 'numpy', 'PIL') if m in sys.modules))"
            % str(Path(segkit_saliency.plugin.__file__).parents[1]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_segkit_build_ucnet_works_with_the_entry_point_and_fails_without(fake_entry_points, monkeypatch):
    real = importlib.metadata.distribution

    def distribution(name):  # the metadata of an environment without the plugin
        if name == "segkit-saliency":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "distribution", distribution)
    runner = CliRunner()
    missing = runner.invoke(main, ["build", "ucnet", *SMALL])
    assert missing.exit_code == 2 and "unknown spec 'ucnet'" in missing.output
    assert "pip install segkit-saliency" in missing.output and "did you mean 'unet'" in missing.output

    fake_entry_points.append(FakeEntryPoint("saliency", segkit_saliency.plugin))
    from segkit.api import default_registry

    default_registry.cache_clear()
    listed = runner.invoke(main, ["plugins"])
    assert listed.exit_code == 0 and "segkit-saliency" in listed.output and "ucnet" in listed.output
    built = runner.invoke(main, ["build", "ucnet", *SMALL])
    assert built.exit_code == 0, built.output
    assert "compiled: Ucnet with 28,891,401 parameters" in built.output


def _segkit(*args, plugins=None):
    """``segkit ARGS`` in a child process, with the installed entry points; ``plugins``
    sets SEGKIT_PLUGINS (unset: every installed plugin loads)."""
    env = {k: v for k, v in os.environ.items() if k != "SEGKIT_PLUGINS"}
    if plugins is not None:
        env["SEGKIT_PLUGINS"] = plugins
    return subprocess.run([sys.executable, "-m", "segkit", *args], capture_output=True, text=True, env=env)


def test_installed_plugin_is_listed_builds_ucnet_and_left_out_the_name_is_unknown():
    try:
        importlib.metadata.distribution("segkit-saliency")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("segkit-saliency is not installed (pip install -e plugins/segkit-saliency)")
    listed = _segkit("plugins")
    assert listed.returncode == 0, listed.stderr
    assert "segkit-saliency" in listed.stdout and "ucnet" in listed.stdout
    built = _segkit("build", "ucnet", *SMALL)
    assert built.returncode == 0, built.stderr
    assert "compiled: Ucnet with 28,891,401 parameters" in built.stdout
    gone = _segkit("build", "ucnet", *SMALL, plugins="segkit-crf")
    assert gone.returncode == 2 and "Traceback" not in gone.stderr
    assert gone.stderr.startswith("ucnet: error: unknown spec 'ucnet'")
    assert "segkit-saliency plugin, which is installed but not loaded: SEGKIT_PLUGINS='segkit-crf'" in gone.stderr

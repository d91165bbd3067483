"""The plugin as segkit finds it: through the ``segkit`` entry-point group (faked here;
the real install / uninstall is checked by hand, see the README), cheap to register,
and every name it provides."""
from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

from click.testing import CliRunner

import segkit_saliency.plugin
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
            "from segkit.plugins import get_plugin_manager\n"
            "from segkit.registry import Registry\n"
            "plugins = get_plugin_manager(load_entry_points=False)\n"
            "plugins.manager.register(segkit_saliency.plugin, name='saliency')\n"
            "registry = Registry.from_plugins(plugins)\n"
            "assert segkit.check('ucnet', registry=registry).params > 0\n"
            "print(sorted(m for m in ('torch', 'numpy', 'PIL') if m in sys.modules))"
            % str(Path(segkit_saliency.plugin.__file__).parents[1]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_segkit_build_ucnet_works_with_the_entry_point_and_fails_without(fake_entry_points):
    runner = CliRunner()
    missing = runner.invoke(main, ["build", "ucnet", *SMALL])
    assert missing.exit_code == 2 and "unknown spec 'ucnet'" in missing.output

    fake_entry_points.append(FakeEntryPoint("saliency", segkit_saliency.plugin))
    from segkit.registry import default_registry

    default_registry.cache_clear()
    listed = runner.invoke(main, ["plugins"])
    assert listed.exit_code == 0 and "segkit-saliency" in listed.output and "ucnet" in listed.output
    built = runner.invoke(main, ["build", "ucnet", *SMALL])
    assert built.exit_code == 0, built.output
    assert "compiled: Ucnet with 28,891,401 parameters" in built.output

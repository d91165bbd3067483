"""Plugin discovery, registration, conflicts and failures, each with a fresh manager."""
from __future__ import annotations

import importlib.metadata
import types

import pytest
from click.testing import CliRunner

import segkit
from segkit.api import default_registry
from segkit.cli import main
from segkit.ops.conv import Conv
from segkit.plugins import install_hints
from segkit.plugins import manager as plugins_module
from segkit.plugins.hookspecs import hookimpl
from segkit.plugins.manager import get_plugin_manager
from segkit.plugins.registry import Registry

SPEC = """
segkit: 1
name: uses-{block}
inputs: {{x: 3}}
nodes:
  a: {{block: {block}, out: 4}}
outputs: {{out: a}}
"""
UNRELATED = SPEC.format(block="conv")


class Wide(Conv):
    """A conv registered under another name by a test plugin."""

    name = "wide_conv"


def plugin(**hooks) -> types.SimpleNamespace:
    return types.SimpleNamespace(**{name: hookimpl(fn) for name, fn in hooks.items()})


def registry_with(*extra, dists=None) -> Registry:
    plugins = get_plugin_manager(load_entry_points=False)
    for k, module in enumerate(extra):
        name = f"test-plugin-{k}"
        plugins.manager.register(module, name=name)
        plugins.dists[name] = (dists or {}).get(k, f"segkit-test{k}")
    return Registry.from_plugins(plugins)


def test_segkit_register_blocks_makes_a_block_usable_from_yaml():
    registry = registry_with(plugin(segkit_register_blocks=lambda register: register(Wide)))
    report = segkit.check(SPEC.format(block="wide_conv"), registry=registry)
    assert report.outputs["out"].channels == 4
    assert registry.blocks["wide_conv"].dist == "segkit-test0"


def test_segkit_register_specs_makes_a_spec_buildable_by_name(tmp_path):
    path = tmp_path / "mynet.yaml"
    path.write_text(UNRELATED)
    registry = registry_with(plugin(segkit_register_specs=lambda register: register(path)))
    assert segkit.check("mynet", registry=registry).params == 3 * 4 * 9 + 4


def test_duplicate_block_name_is_an_error_naming_both_distributions_only_where_used():
    first = plugin(segkit_register_blocks=lambda register: register(Wide))
    second = plugin(segkit_register_blocks=lambda register: register(Wide))
    registry = registry_with(first, second, dists={0: "segkit-alpha", 1: "segkit-beta"})
    with pytest.raises(segkit.SegkitError) as info:
        segkit.check(SPEC.format(block="wide_conv"), registry=registry)
    assert "segkit-alpha" in info.value.message and "segkit-beta" in info.value.message
    assert info.value.loc.line > 0
    segkit.check(UNRELATED, registry=registry)  # unrelated specs still work


def register_spec(path):
    return plugin(segkit_register_specs=lambda register: register(path))


def test_duplicate_spec_name_is_an_error_naming_both_distributions_only_where_used(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = tmp_path / "a" / "mynet.yaml", tmp_path / "b" / "mynet.yaml"
    first.write_text(UNRELATED)
    second.write_text(SPEC.format(block="wide_conv"))
    registry = registry_with(register_spec(first), register_spec(second),
                             dists={0: "segkit-alpha", 1: "segkit-beta"})
    with pytest.raises(segkit.SegkitError) as info:
        segkit.check("mynet", registry=registry)
    assert "spec 'mynet'" in info.value.message
    assert "segkit-alpha" in info.value.message and "segkit-beta" in info.value.message
    assert "SEGKIT_PLUGINS" in info.value.hint
    assert [e.dist for e in registry.conflicts[("spec", "mynet")]] == ["segkit-alpha", "segkit-beta"]
    segkit.check(UNRELATED, registry=registry)  # unrelated specs still work


def test_duplicate_dataset_name_is_an_error_naming_both_distributions_only_where_used():
    def datasets(*names):
        return plugin(segkit_register_datasets=lambda register: [
            register(types.SimpleNamespace(name=n)) for n in names])

    registry = registry_with(datasets("scenes", "roads"), datasets("scenes"),
                             dists={0: "segkit-alpha", 1: "segkit-beta"})
    with pytest.raises(segkit.SegkitError) as info:
        registry.get("dataset", "scenes")
    assert "dataset 'scenes'" in info.value.message
    assert "segkit-alpha" in info.value.message and "segkit-beta" in info.value.message
    assert registry.get("dataset", "roads").name == "roads"  # the other name of the plugin works
    segkit.check(UNRELATED, registry=registry)


def test_segkit_plugins_prints_conflict_and_failed_plugin_lines(fake_entry_points):
    def wide():
        return plugin(segkit_register_blocks=lambda register: register(Wide))

    fake_entry_points += [FakeEntryPoint("alpha", wide(), dist="segkit-alpha"),
                          FakeEntryPoint("beta", wide(), dist="segkit-beta"),
                          FakeEntryPoint("broken", ImportError("No module named 'segkit_broken'"),
                                         dist="segkit-broken")]
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # the console wraps long lines
    assert ("conflict: block 'wide_conv' is registered by segkit-alpha (alpha) and segkit-beta (beta); "
            "using it is an error") in text
    assert "failed: plugin 'broken' from segkit-broken: ImportError: No module named 'segkit_broken'" in text
    assert "segkit-alpha" in result.output.split("conflict:")[0]  # the table lists the plugins too
    checked = CliRunner().invoke(main, ["check", "unet"])  # an unrelated spec still checks
    assert checked.exit_code == 0, checked.output


def not_installed(monkeypatch, *dists):
    """importlib.metadata as if ``dists`` were uninstalled."""
    real = importlib.metadata.distribution

    def distribution(name):
        if name in dists:
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "distribution", distribution)


def test_an_unknown_name_a_segkit_plugin_ships_says_pip_install_and_keeps_did_you_mean(monkeypatch):
    not_installed(monkeypatch, "segkit-saliency", "segkit-crf")
    registry = registry_with()
    with pytest.raises(segkit.SegkitError) as info:
        segkit.check("ucnet", registry=registry)
    assert info.value.message == "unknown spec 'ucnet'"
    assert "pip install segkit-saliency" in info.value.hint and "did you mean 'unet'" in info.value.hint
    with pytest.raises(segkit.SegkitError) as info:
        segkit.check(SPEC.format(block="crf"), registry=registry)
    assert "pip install segkit-crf" in info.value.hint and info.value.loc.line > 0
    with pytest.raises(segkit.SegkitError) as info:
        segkit.check("nosuchnet", registry=registry)
    assert "pip install" not in info.value.hint


def test_an_installed_plugin_left_out_by_segkit_plugins_is_named_not_reinstalled(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: types.SimpleNamespace(name=name))
    monkeypatch.setenv("SEGKIT_PLUGINS", "segkit-crf")
    with pytest.raises(segkit.SegkitError) as info:
        segkit.check("ucnet", registry=registry_with())
    assert "installed but not loaded: SEGKIT_PLUGINS='segkit-crf' leaves it out" in info.value.hint
    assert "pip install" not in info.value.hint


@pytest.mark.parametrize("dist, module", [("segkit-saliency", "segkit_saliency.plugin"),
                                          ("segkit-crf", "segkit_crf.plugin")])
def test_the_table_of_plugin_names_is_what_the_plugins_register(dist, module):
    registry = registry_with(pytest.importorskip(module), dists={0: dist})
    registered = {kind: frozenset(n for n, e in table.items() if e.dist == dist)
                  for kind, table in registry.tables.items()}
    assert {kind: names for kind, names in registered.items() if names} == install_hints.PLUGIN_NAMES[dist]


def test_a_plugin_whose_hook_raises_is_reported_and_others_still_work():
    def broken(register):
        raise RuntimeError("boom")

    registry = registry_with(plugin(segkit_register_blocks=broken))
    assert [f.dist for f in registry.failures] == ["segkit-test0"]
    assert "boom" in registry.failures[0].cause
    segkit.check(UNRELATED, registry=registry)
    with pytest.raises(segkit.SegkitError) as info:
        segkit.check(SPEC.format(block="missing_block"), registry=registry)
    assert "segkit-test0" in info.value.hint  # the unknown-name hint names the broken plugin


class FakeEntryPoint:
    def __init__(self, name, target, dist="segkit-fake"):
        self.name = name
        self.target = target
        self.dist = types.SimpleNamespace(name=dist, version="9.9")

    def load(self):
        if isinstance(self.target, Exception):
            raise self.target
        return self.target


@pytest.fixture
def fake_entry_points(monkeypatch):
    """The entry points segkit sees (a list to append to); the process-wide default
    registry (``segkit plugins`` and the other commands) is rebuilt from them."""
    points = []

    def entry_points(group=None):
        assert group == "segkit"
        return list(points)

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    monkeypatch.delenv("SEGKIT_PLUGINS", raising=False)
    default_registry.cache_clear()
    yield points
    default_registry.cache_clear()


def test_entry_points_are_discovered(fake_entry_points):
    fake_entry_points.append(FakeEntryPoint("wide", plugin(segkit_register_blocks=lambda register: register(Wide))))
    registry = Registry.from_plugins(get_plugin_manager())
    assert registry.blocks["wide_conv"].dist == "segkit-fake"
    assert registry.plugins.versions["wide"] == "9.9"


def test_a_plugin_that_fails_to_import_is_reported(fake_entry_points):
    fake_entry_points.append(FakeEntryPoint("broken", ImportError("No module named 'segkit_broken'")))
    registry = Registry.from_plugins(get_plugin_manager())
    assert registry.failures[0].name == "broken" and "segkit_broken" in registry.failures[0].cause
    segkit.check(UNRELATED, registry=registry)


@pytest.mark.parametrize("setting, loaded", [("none", False), ("", False), ("wide", True),
                                             ("segkit-fake", True), ("other", False)])
def test_segkit_plugins_allow_lists_entry_points(fake_entry_points, monkeypatch, setting, loaded):
    fake_entry_points.append(FakeEntryPoint("wide", plugin(segkit_register_blocks=lambda register: register(Wide))))
    monkeypatch.setenv("SEGKIT_PLUGINS", setting)
    registry = Registry.from_plugins(get_plugin_manager())
    assert ("wide_conv" in registry.blocks) is loaded
    assert "conv" in registry.blocks  # built-ins always load


def test_builtins_register_through_the_same_hooks():
    plugins = get_plugin_manager(load_entry_points=False)
    hooks = [name for name in dir(plugins.manager.hook) if name.startswith("segkit_register_")]
    names = {impl.plugin_name for hook in hooks for impl in getattr(plugins.manager.hook, hook).get_hookimpls()}
    assert set(plugins_module.BUILTIN_PLUGINS) == names


def _register_named_kind(kind):
    marker = types.SimpleNamespace(name=f"test_{kind}")
    hook = {"dataset": "segkit_register_datasets", "metric": "segkit_register_metrics",
            "loss": "segkit_register_losses", "weight_format": "segkit_register_weight_formats",
            "postprocessor": "segkit_register_postprocessors"}[kind]
    registry = registry_with(plugin(**{hook: lambda register: register(marker)}))
    assert registry.get(kind, f"test_{kind}") is marker
    assert registry.tables[kind][f"test_{kind}"].dist == "segkit-test0"
    with pytest.raises(segkit.SegkitError, match=f"unknown {kind}"):
        registry.get(kind, f"test_{kind}x")


def test_segkit_register_datasets_registers_by_name():
    _register_named_kind("dataset")


def test_segkit_register_metrics_registers_by_name():
    _register_named_kind("metric")


def test_segkit_register_losses_registers_by_name():
    _register_named_kind("loss")


def test_segkit_register_weight_formats_registers_by_name():
    _register_named_kind("weight_format")


def test_segkit_register_postprocessors_registers_by_name():
    _register_named_kind("postprocessor")

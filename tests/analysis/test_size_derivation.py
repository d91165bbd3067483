"""The derived accepted input sizes are exact: on random specs (tests/analysis/size_dags.py
and the random DAGs of tests/analysis/test_random_dags.py), a size is accepted by the derived
rule exactly when the torch-free inference pass accepts it, over the minimum, the
isolated sizes and three whole periods past them; the rule agrees with the bounded
scan wherever the scan looked; and specs with a block lacking a symbolic rule fall
back to the scan and say how far it checked, as do specs with a block whose rule fails
(with a warning naming it)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings

import segkit
from segkit.cli import main
from segkit.core.size_algebra import SpatialRule
from segkit.errors import SegkitError
from segkit.ops.misc import Identity
from segkit.plugins.hookspecs import hookimpl
from segkit.testing import make_registry
from tests.analysis.exact_sizes import assert_exact
from tests.analysis.size_dags import size_dags
from tests.analysis.test_random_dags import dag_specs
from tests.lang._util import line_of, spec

REFERENCES = [144, 96, 64, 128, 192, 48, 72, 216, 33, 65, 100, 129, 255]
"""Input sizes tried until one resolves (a random spec may reject many)."""


def first_valid(text: str, rank: int):
    for size in REFERENCES:
        try:
            return segkit.check(text, input="x".join(map(str, (2, *(size,) * rank))))
        except SegkitError:
            continue
    assume(False)


@settings(suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow], deadline=None)
@given(size_dags())
def test_derived_sizes_are_exact_on_random_specs(case):
    text, rank = case
    assert_exact(first_valid(text, rank))


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(dag_specs())
def test_derived_sizes_are_exact_on_random_dags(case):
    text, channels, spatial = case
    try:
        report = segkit.check(text, input="x".join(map(str, (channels, *spatial))))
    except SegkitError:
        assume(False)
    assert_exact(report)


def test_every_builtin_python_block_has_a_symbolic_size_rule():
    """So the accepted sizes of specs of built-in blocks are always derived, never
    scanned (macros and YAML blocks expand into these)."""
    from segkit.core.block import Block, Macro
    from segkit.plugins.manager import get_plugin_manager
    from segkit.plugins.registry import Registry

    builtin = Registry.from_plugins(get_plugin_manager(load_entry_points=False))
    python = {name: e.obj for name, e in builtin.blocks.items() if isinstance(e.obj, Block)
              and not isinstance(e.obj, Macro)}
    assert len(python) >= 30
    assert sorted(n for n, b in python.items() if type(b).spatial_rule is Block.spatial_rule) == []


def test_a_block_without_a_symbolic_rule_falls_back_to_the_bounded_scan(monkeypatch):
    text = spec("""
        a: {block: conv, out: 4, stride: 2}
        b: {block: identity}
        c: {block: resize, scale: 2}
        d: {block: add, from: [x, c]}
    """, outputs="{out: d}", inputs="{x: 4}")
    exact = segkit.check(text).accepted_sizes[0]
    assert exact.bound is None and exact.describe("H") == "H a multiple of 2, >= 2 (also 1)"
    monkeypatch.delattr(Identity, "spatial_rule")  # as a plugin block that has none
    report = segkit.check(text)
    scanned = report.accepted_sizes[0]
    assert scanned.bound is not None and scanned.bound >= 64
    assert (scanned.minimum, scanned.period, scanned.residues, scanned.also) == (2, 2, (0,), (1,))
    assert report.describe_sizes() == f"H, W a multiple of 2, >= 2 (also 1) (checked up to {scanned.bound} only)"


class TruthTested(Identity):
    """A plugin block whose size rule asks a SizeSet for its truth value."""

    name = "truth_tested"

    def spatial_rule(self, p, x):
        if x[0] >= 2:
            return SpatialRule({"out": x})
        return SpatialRule({"out": x}, False)


class Area(Identity):
    """A plugin block whose size rule multiplies two symbolic sizes."""

    name = "area"

    def spatial_rule(self, p, x):
        return SpatialRule({"out": x}, x[0] * x[1] >= 4)


def registry_with(block):
    return make_registry(("test-plugin", SimpleNamespace(segkit_register_blocks=hookimpl(lambda register: register(block)))))


@pytest.mark.parametrize("block", [TruthTested, Area])
def test_a_failing_size_rule_falls_back_to_the_scan_with_a_warning(block, monkeypatch, tmp_path):
    """A plugin's broken spatial_rule is no internal error: the sizes are scanned (and
    say so) and a warning at the node names the node, the block and the error."""
    text = spec(f"""
        a: {{block: conv, out: 4, stride: 2}}
        b: {{block: {block.name}}}
    """, outputs="{out: b}")
    registry = registry_with(block)
    report = segkit.check(text, registry=registry)
    rule = report.accepted_sizes[0]
    assert rule.bound is not None
    assert report.describe_sizes() == f"H, W >= 1 (checked up to {rule.bound} only)"
    (warning,) = report.warnings
    assert f"block {block.name!r} (tests.analysis.test_size_derivation) failed at node 'b': TypeError" \
        in warning.message
    assert warning.loc.line == line_of(text, block.name)

    path = tmp_path / "t.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["check", str(path)], obj={"registry": registry})
    assert result.exit_code == 0, result.output
    assert "warning: the size rule (spatial_rule) of block" in result.stderr
    assert f"(checked up to {rule.bound} only)" in result.stdout


@pytest.mark.parametrize("scale, expected", [(0.5, "H, W >= 2"), (1.5, "H, W >= 1"), (0.1, "H, W >= 10")])
def test_resize_scales(scale, expected):
    """floor(s * scale) >= 1; 0.1 has no small dyadic form, so it is scanned (bounded)."""
    report = segkit.check(spec(f"a: {{block: resize, scale: {scale}, mode: nearest}}"))
    text = report.describe_sizes()
    assert text.startswith(expected), text
    assert (report.accepted_sizes[0].bound is None) == (scale != 0.1)

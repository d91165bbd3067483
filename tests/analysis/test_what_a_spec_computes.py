"""One definition of what a spec computes, shared by ``check`` at any size, the size
rule and the built module: what its outputs need. A node no output needs is named in a
warning, left out, and constrains no size; the issue's smallest cases."""
import pytest
import torch
from click.testing import CliRunner

import segkit
from segkit.cli.group import main
from segkit.errors import ShapeError
from segkit.testing import make_registry

DEAD = """
segkit: 1
name: dead
inputs: {x: {channels: 1, size: 8}}
nodes:
  a: {block: conv, from: x, out: 1, kernel: 1}
  dead: {block: conv, from: x, out: 1, kernel: 5, padding: 0}
  after_dead: {block: act, from: dead}
outputs: {out: a}
"""


@pytest.fixture(scope="module")
def registry():
    return make_registry()


def test_a_node_no_output_needs_constrains_no_size(registry):
    report = segkit.check(DEAD, input="1x3x3", registry=registry)
    assert report.describe_sizes() == "H, W >= 1"
    assert list(report.graph.nodes) == ["a"]
    assert [w.message for w in report.warnings] == [
        "node 'dead' (conv) is not used by any output; it is left out",
        "node 'after_dead' (act) is not used by any output; it is left out"]
    model = segkit.build(DEAD, input="1x3x3", registry=registry)
    assert model(torch.randn(1, 1, 1, 1)).shape == (1, 1, 1, 1)


def test_the_cli_checks_a_size_only_a_dead_node_rejects(registry, tmp_path):
    path = tmp_path / "dead.yaml"
    path.write_text(DEAD)
    result = CliRunner().invoke(main, ["check", str(path), "--input", "1x3x3"], obj={"registry": registry})
    assert result.exit_code == 0, result.output
    assert "'dead' (conv) is not used by any output" in result.output


def test_a_node_an_output_needs_still_fails_where_it_fails(registry):
    live = DEAD.replace("outputs: {out: a}", "outputs: {out: a, d: after_dead}")
    with pytest.raises(ShapeError, match="node 'dead'.*too small"):
        segkit.check(live, input="1x3x3", registry=registry)


def test_reading_the_channels_of_a_failing_node_is_the_failure(registry):
    read = DEAD.replace("  after_dead: {block: act, from: dead}",
                        "  b: {block: conv, from: a, out: \"${channels('dead')}\", kernel: 1}")
    read = read.replace("outputs: {out: a}", "outputs: {out: b}")
    assert segkit.check(read, input="1x8x8", registry=registry).outputs["out"].channels == 1
    with pytest.raises(ShapeError, match="node 'dead'"):
        segkit.check(read, input="1x3x3", registry=registry)


def test_param_errors_of_a_dead_node_still_count(registry):
    bad = DEAD.replace("kernel: 5, padding: 0", "kernel: 5, padding: 0, groups: 0")
    with pytest.raises(segkit.SegkitError, match="groups"):
        segkit.check(bad, registry=registry)


BROADCAST_SUM = """
segkit: 1
name: broadcast-sum
inputs: {x: {channels: 1, rank: 1, size: 2}}
nodes:
  a: {block: conv, from: x, out: 1, kernel: 2, stride: 2}
  b: {block: conv, from: x, out: 1, kernel: 2}
  m: {block: add, from: [a, b]}
outputs: {out: m}
"""


def test_a_module_built_at_one_size_runs_where_the_sum_broadcasts(registry):
    report = segkit.check(BROADCAST_SUM, registry=registry)
    assert [s for s in range(1, 8) if report.accepted_sizes.accepts((s,))] == [2, 3]
    model = segkit.build(BROADCAST_SUM, registry=registry)  # at the example size, 2
    expected = segkit.build(BROADCAST_SUM, input="1x3", registry=registry)
    expected.load_state_dict(model.state_dict())
    x = torch.randn(1, 1, 3)
    torch.testing.assert_close(model(x), expected(x))


NORMS = """
segkit: 1
name: norms
inputs: {x: {channels: 4, size: 8}}
nodes:
  n: {block: NORM, from: x}
outputs: {out: n}
"""


@pytest.mark.parametrize("norm, one_by_one, one_by_seven", [
    ("bn", True, True), ("'gn', groups: 2", True, True), ("'gn', groups: 4", False, True),
    ("'in'", False, True)])
def test_norm_rules_on_one_element_maps_are_torchs_in_eval_at_batch_1(registry, norm, one_by_one, one_by_seven):
    text = NORMS.replace("NORM", norm)
    rules = segkit.check(text, registry=registry).accepted_sizes
    model = segkit.build(text, registry=registry).eval()
    for spatial, claim in [((1, 1), one_by_one), ((1, 7), one_by_seven), ((7, 1), one_by_seven)]:
        assert rules.accepts(spatial) == claim, (spatial, rules.any_dim)
        try:
            segkit.check(text, input="x".join(map(str, (4, *spatial))), registry=registry)
            checked = True
        except ShapeError:
            checked = False
        assert checked == claim
        try:
            model(torch.randn(1, 4, *spatial))
            ran = True
        except (ValueError, RuntimeError):
            ran = False
        assert ran == claim, spatial


def test_instance_norms_coupled_condition_reads_as_such(registry):
    report = segkit.check(NORMS.replace("NORM", "'in'"), registry=registry)
    assert report.describe_sizes() == "H, W >= 1; and H >= 2 or W >= 2"
    rank1 = NORMS.replace("NORM", "'in'").replace("channels: 4, size: 8", "channels: 4, rank: 1, size: 8")
    assert segkit.check(rank1, registry=registry).describe_sizes() == "L >= 2"

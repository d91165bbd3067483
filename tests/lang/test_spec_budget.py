"""One work budget for all the ``${...}`` of a spec (issue 13): many expressions, each
under the per-expression MAX_WORK, are stopped together at MAX_SPEC_WORK; and
``Spec.nodes`` is built once, so resolving a long chain is not quadratic."""
from __future__ import annotations

import time

import pytest

from segkit.errors import ExpressionError
from segkit.lang.expr import MAX_SPEC_WORK, MAX_WORK, evaluate, spec_budget
from segkit.lang.resolver import resolve
from segkit.lang.schema import load_spec
from segkit.testing import make_registry
from tests.lang._util import spec

# about MAX_WORK / 4 steps: well under the per-expression budget
QUARTER = "${len([i for i in range(%d)]) * 0 + 4}" % (MAX_WORK // 12)


@pytest.fixture(scope="module")
def registry():
    return make_registry()


def test_each_expression_fits_its_own_budget():
    assert evaluate(QUARTER[2:-1], {}) == 4


def test_expressions_share_the_spec_budget():
    with spec_budget():
        with pytest.raises(ExpressionError, match="do too much work together"):
            for _ in range(MAX_SPEC_WORK // (MAX_WORK // 12) + 2):
                evaluate(QUARTER[2:-1], {})


def test_the_budget_is_per_spec_and_nested_uses_share_it():
    for _ in range(2):  # a fresh counter each time
        with spec_budget():
            with spec_budget():
                assert evaluate(QUARTER[2:-1], {}) == 4


def test_a_spec_of_many_expensive_expressions_is_refused_in_bounded_time(tmp_path, registry):
    nodes = "\n".join(f"n{i}: {{block: conv, from: {'x' if i == 0 else f'n{i - 1}'}, out: \"{QUARTER}\", kernel: 1}}"
                      for i in range(12))
    path = tmp_path / "many.yaml"
    path.write_text(spec(nodes, outputs="{out: n11}"))
    start = time.process_time()
    with pytest.raises(ExpressionError, match="together") as info:
        resolve(str(path), registry=registry)
    assert time.process_time() - start < 10
    assert info.value.loc.file == str(path) and info.value.loc.line > 5


def test_spec_nodes_is_built_once(tmp_path, registry):
    path = tmp_path / "chain.yaml"
    path.write_text(spec("a: {block: conv, from: x, out: 4, kernel: 1}"))
    loaded = load_spec(str(path), registry)
    assert loaded.nodes is loaded.nodes


def test_a_long_chain_resolves_in_linear_time(tmp_path, registry):
    def seconds(n: int) -> float:
        nodes = "\n".join(f"n{i}: {{block: act, from: {'x' if i == 0 else f'n{i - 1}'}}}" for i in range(n))
        path = tmp_path / f"chain{n}.yaml"
        path.write_text(spec(nodes, outputs=f"{{out: n{n - 1}}}"))
        start = time.process_time()
        graph = resolve(str(path), registry=registry)
        assert len(graph.nodes) == n
        return time.process_time() - start

    small, large = seconds(250), seconds(1000)
    assert large < 12 * max(small, 0.01)  # 4x the nodes; quadratic would be 16x

"""Contract tests over every registered block (issue: block library acceptance).

For each block, hypothesis draws params and input shapes from the block's Case; for
every valid draw the static shapes of every node and output, the params and the MACs
equal PyTorch's exactly, and backward runs. Each block also compiles under
``torch.compile(fullgraph=True)`` with no graph break.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import segkit
from segkit.plugins import get_plugin_manager
from segkit.registry import Registry

from .contract import check_against_torch, graph_breaks, resolve_case

HERE = Path(__file__).parent


def all_cases() -> dict:
    cases = {}
    for info in pkgutil.iter_modules([str(HERE)]):
        if info.name.startswith("cases_"):
            module = importlib.import_module(f"{__package__}.{info.name}")
            overlap = set(cases) & set(module.CASES)
            assert not overlap, f"{info.name} redefines cases {overlap}"
            cases.update(module.CASES)
    return cases


CASES = all_cases()
BUILTIN = Registry.from_plugins(get_plugin_manager(load_entry_points=False))


def test_every_registered_block_has_a_contract_case():
    missing = sorted(set(BUILTIN.blocks) - set(CASES))
    assert not missing, f"blocks without a contract case in tests/blocks/cases_*.py: {missing}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_block_static_rule_equals_torch(name):
    case = CASES[name]

    @settings(suppress_health_check=[HealthCheck.too_slow], max_examples=min(settings().max_examples, 12))
    @given(st.data())
    def run(data):
        params = data.draw(case.params, label="params")
        shapes = data.draw(case.inputs, label="inputs")
        try:
            resolve_case(name, params, shapes, case)
        except segkit.SegkitError:
            reject()
        check_against_torch(name, params, shapes, case)

    run()


@pytest.mark.parametrize("name", sorted(CASES))
def test_block_compiles_without_graph_breaks(name):
    case = CASES[name]

    @settings(max_examples=1, database=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data):
        params = data.draw(case.params)
        shapes = data.draw(case.inputs)
        try:
            resolve_case(name, params, shapes, case)
        except segkit.SegkitError:
            reject()
        assert graph_breaks(name, params, shapes, case) == 0

    run()

"""Contract tests over every registered block (issue: block library acceptance).

For each block, hypothesis draws params and input shapes from the block's Case; for
every valid draw the static shapes of every node and output, the params and the MACs
equal PyTorch's exactly, backward runs, and the accepted input sizes derived from the
blocks' symbolic size rules are exactly those their shape rules accept. Every fixed
form of every block (the Case's ``forms``) is exact in the same way, and compiles under
``torch.compile(fullgraph=True)`` with no graph break and trains through it, forward
and backward.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import segkit
from segkit.plugins.manager import get_plugin_manager
from segkit.plugins.registry import Registry
from tests.analysis.exact_sizes import assert_exact

from .contract import check_against_torch, resolve_case, train_compiled

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


FORMS = [(name, form) for name in sorted(CASES) for form in CASES[name].forms]


def test_every_registered_block_has_a_contract_case():
    missing = sorted(set(BUILTIN.blocks) - set(CASES))
    assert not missing, f"blocks without a contract case in tests/blocks/cases_*.py: {missing}"
    formless = sorted(name for name, case in CASES.items() if not case.forms)
    assert not formless, f"cases without a fixed form to compile: {formless}"


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
def test_block_accepted_sizes_are_exact(name):
    """The block's symbolic size rule (or, for composites, its parts') derives exactly
    the input sizes its shape rule accepts, for drawn params and inputs."""
    case = CASES[name]

    @settings(suppress_health_check=[HealthCheck.too_slow], max_examples=min(settings().max_examples, 8))
    @given(st.data())
    def run(data):
        params = data.draw(case.params, label="params")
        shapes = data.draw(case.inputs, label="inputs")
        try:
            report = resolve_case(name, params, shapes, case)
        except segkit.SegkitError:
            reject()
        assert_exact(report)

    run()


@pytest.mark.parametrize("name, form", FORMS, ids=[f"{name}-{form}" for name, form in FORMS])
def test_block_form_static_rule_equals_torch(name, form):
    params, shapes = CASES[name].forms[form]
    check_against_torch(name, params, shapes, CASES[name])


@pytest.mark.parametrize("name, form", FORMS, ids=[f"{name}-{form}" for name, form in FORMS])
def test_block_form_compiles_fullgraph_and_trains(name, form):
    params, shapes = CASES[name].forms[form]
    assert train_compiled(name, params, shapes, CASES[name]) == []


def test_the_compile_check_reports_a_graph_break(monkeypatch):
    """The harness itself: a block whose forward branches on a tensor's value breaks
    the graph, and train_compiled says so."""
    from segkit.ops import functional

    add = functional.add

    def branching(*xs):
        out = add(*xs)
        return out * 2 if bool(out.sum() > 0) else out

    monkeypatch.setattr(functional, "add", branching)
    params, shapes = CASES["add"].forms["three"]
    assert train_compiled("add", params, shapes, CASES["add"])

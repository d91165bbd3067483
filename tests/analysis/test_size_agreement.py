"""The accepted-size claim, as strong as the one for shapes: for random DAGs of every
primitive op the size analysis handles (``size_dags``), at every size 1..N (rank 1, and
rank 2 square and not), the report's rule, ``check`` at the size, a fresh build and a
module built once at the example size agree (``size_agreement``). The slow test sweeps
500 specs and prints how many disagree."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segkit.testing import make_registry
from tests.analysis.size_agreement import disagreements, sizes_to_try, with_example_size
from tests.analysis.size_dags import size_dags

REGISTRY = make_registry()
LIMITS = {1: 12, 2: 5}


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size_dags(), st.integers(3, 12))
def test_rule_check_fresh_build_and_build_at_the_example_size_agree(case, example):
    text, rank = case
    text = with_example_size(text, example)
    assert disagreements(text, REGISTRY, sizes_to_try(rank, LIMITS[rank])) == [], text


@pytest.mark.slow
def test_sweep_of_500_specs_finds_no_disagreement(capsys):
    found = []

    @settings(max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(size_dags(), st.integers(3, 12))
    def sweep(case, example):
        text, rank = case
        text = with_example_size(text, example)
        bad = disagreements(text, REGISTRY, sizes_to_try(rank, {1: 16, 2: 7}[rank]))
        if bad:
            found.append((text, bad))

    sweep()
    with capsys.disabled():
        print(f"\nsize sweep: {len(found)} of 500 specs disagree")
    assert found == [], found[:3]

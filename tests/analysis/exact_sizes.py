"""``assert_exact``: the accepted sizes a report derives are exactly the sizes the
torch-free inference pass accepts, and agree with the bounded scan where it looked."""
from __future__ import annotations

from segkit.analysis.accepted import isotropic
from segkit.analysis.scan import at_size, graph_period, scan, valid


def horizon(rule) -> int:
    """Sizes up to here cover the minimum, the isolated sizes and three periods past."""
    return max([rule.minimum or 0, *rule.also]) + 3 * rule.period + 8


def assert_exact(report) -> None:
    """For each analysed group of dims (all at once when the spec is isotropic, else
    one at a time, the others at the reference), ``rule.accepts(s)`` equals whether the
    graph infers with every input's dims at ``s``, for s = 1..horizon (with the coupled
    clauses, ``rules.accepts``); and equals the scan's verdict for every size the scan
    tried."""
    graph, reference = report.graph, report.input_shapes
    rules = report.accepted_sizes
    assert all(rule.bound is None for rule in rules), rules  # every block has a symbolic rule
    rank = len(rules)
    groups = [tuple(range(rank))] if isotropic(graph, reference) else [(d,) for d in range(rank)]
    for dims in groups:
        rule, memo = rules[dims[0]], {}
        for s in range(1, horizon(rule) + 1):
            shapes = at_size(reference, dims, s)
            spatial = next(iter(shapes.values())).spatial
            assert rules.accepts(spatial) == valid(graph, shapes, memo), (dims, s, rules, rules.any_dim)
        if rules.any_dim:
            continue  # the scan tries sizes with the coupled checks in: it states no per-dim rule
        scanned = scan(graph, reference, dims, graph_period(graph, dims[0]))
        assert [rule.accepts(s) for s in range(1, scanned.bound + 1)] == \
            [scanned.accepts(s) for s in range(1, scanned.bound + 1)], (dims, rule, scanned)

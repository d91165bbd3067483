"""The symbolic size algebra of segkit.core.size_algebra against plain integer arithmetic: random
expressions in the input size ``s`` (+, -, * k, // m, max via ``select``), evaluated as
``Dim``s and as ints, agree for every ``s >= start``; comparisons, ``equal`` and set
operations give exactly the sizes where they hold."""
from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from segkit.core.size_algebra import Dim, SizeSet, equal, select
from segkit.core.size_algebra.dim import PeriodTooLarge

EXPRS = st.recursive(
    st.one_of(st.just(("s",)), st.integers(-4, 12).map(lambda c: ("c", c))),
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["+", "-", "max"]), inner, inner),
        st.tuples(st.just("*"), inner, st.integers(-3, 4)),
        st.tuples(st.just("//"), inner, st.integers(1, 6)),
    ),
    max_leaves=7,
)


def evaluate(expr, s):
    """``expr`` with ``s`` an int or ``Dim.var()``."""
    op = expr[0]
    if op == "s":
        return s
    if op == "c":
        return expr[1] if isinstance(s, int) else Dim.const(expr[1])
    if op in ("*", "//"):
        value = evaluate(expr[1], s)
        return value * expr[2] if op == "*" else value // expr[2]
    a, b = evaluate(expr[1], s), evaluate(expr[2], s)
    if op == "max":
        return select(a >= b, a, b)
    return a + b if op == "+" else a - b


def symbolic(expr) -> Dim:
    try:
        value = evaluate(expr, Dim.var())
    except PeriodTooLarge:
        assume(False)
    return value if isinstance(value, Dim) else Dim.const(value)


def sizes(*dims: Dim):
    """Sizes to compare at: from the latest ``start`` over three periods and a margin."""
    start = max(d.start for d in dims)
    return range(start, start + 3 * max(d.period for d in dims) + 12)


@given(EXPRS)
def test_dims_equal_integer_arithmetic(expr):
    d = symbolic(expr)
    for s in sizes(d):
        assert d.at(s) == evaluate(expr, s), s


@given(EXPRS, EXPRS)
def test_comparisons_hold_exactly_where_the_ints_compare(left, right):
    a, b = symbolic(left), symbolic(right)
    try:
        ge, eq = a >= b, equal(a, b)
    except PeriodTooLarge:
        assume(False)
    for s in sizes(a, b):
        x, y = evaluate(left, s), evaluate(right, s)
        assert (s in ge) == (x >= y), s
        assert (s in eq if isinstance(eq, SizeSet) else eq) == (x == y), s


@given(EXPRS, EXPRS, st.integers(-2, 6))
def test_set_operations(left, right, c):
    a, b = symbolic(left), symbolic(right)
    try:
        above, below = a >= c, b < c
        both, either = above & below, above | below
    except PeriodTooLarge:
        assume(False)
    for s in sizes(a, b):
        x, y = evaluate(left, s), evaluate(right, s)
        assert (s in both) == (x >= c and y < c), s
        assert (s in either) == (x >= c or y < c), s


def test_refinement_and_floor_division_by_hand():
    s = Dim.var()
    assert (s // 2 // 2).period == 4 and [(s // 2 // 2).at(n) for n in range(1, 9)] == [0, 0, 0, 1, 1, 1, 1, 2]
    ceil_half = -(-s // 2)
    assert [(2 * ceil_half).at(n) for n in range(1, 7)] == [2, 2, 4, 4, 6, 6]
    even = equal(2 * ceil_half, s)
    assert [n for n in range(1, 13) if n in even] == [2, 4, 6, 8, 10, 12]
    assert (s * 3 // 2).period == 2 and (s * 2 // 2).period == 1  # only the divisions that need it
    assert SizeSet.of(s >= 1).full and not any(n in (s < 1) for n in range(1, 50))


def test_sets_of_different_periods_combine():
    s = Dim.var()
    odd = equal(2 * (s // 2) + 1, s)
    sizes = range(1, 13)
    assert [n for n in sizes if n in odd] == [1, 3, 5, 7, 9, 11]
    assert [n for n in sizes if n in (SizeSet.everything() | odd)] == list(sizes)
    assert [n for n in sizes if n in (odd | SizeSet.everything())] == list(sizes)
    assert [n for n in sizes if n in (odd | SizeSet.nothing())] == [1, 3, 5, 7, 9, 11]
    assert [n for n in sizes if n in (SizeSet.everything() & odd)] == [1, 3, 5, 7, 9, 11]
    assert [n for n in sizes if n in (odd & (s // 3 >= 2))] == [7, 9, 11]
    assert [n for n in sizes if n in (odd | (s // 3 >= 3))] == [1, 3, 5, 7, 9, 10, 11, 12]


def test_select_records_where_the_piecewise_rule_settles():
    s = Dim.var()
    largest = select(s >= 5, s, Dim.const(5))  # max(s, 5): quasi-affine only from s = 5 on
    assert largest.start == 5
    assert [largest.at(n) for n in range(5, 9)] == [5, 6, 7, 8]
    assert select(s >= 1, s, Dim.const(0)).start == 1  # always true: nothing to settle

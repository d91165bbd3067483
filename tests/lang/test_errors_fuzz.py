"""Malformed specs give a located SegkitError, never another exception.

Hypothesis mutates the data of the shipped example specs (drop a key, replace a value,
add an unknown key, point ``from`` somewhere else, change a block, set a node's
``repeat`` near 0 or near the resolver's cap, make a number negative/zero/huge), dumps it
with ``yaml.safe_dump`` and checks it within a time limit: either it passes, or the
error is a SegkitError located in a file at a line > 0 (or at a pseudo-file such as
``--set``).
"""
import copy
import signal
from contextlib import contextmanager

import pytest
import yaml
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import segkit
from segkit.errors import SegkitError
from segkit.lang.resolver import MAX_REPEAT
from tests.lang._util import EXAMPLES, example_data

PSEUDO_FILES = {"--set", "--input", "<command line>"}
TIME_LIMIT_S = 3

PARAM_NAMES = ["num_classes", "in_channels", "width", "i", "nope", "widht"]
REF_NAMES = ["image", "pool1", "pool1.indices", "conv1", "conv1.0", "enc1", "nope", "zz", "image.out", "",
             "fuse8", "up2", "classifier", "x.y.z", "pool3.out"]
BLOCK_NAMES = ["conv", "convv", "add", "concat", "mul", "maxpool", "avgpool", "resize", "crop", "split", "unpool",
               "identity", "conv_bn_act", "conv_transpose", "sepconv", "global_avgpool", "softmax", "bn", "gn",
               "act", "slice", "pad_channels", "dropout", "nosuchblock", "./missing.yaml", ""]
KEYS = ["bogus", "nodez", "frm", "blok", "kernal", "repeats", "outputs", "when", "repeat", "from", "block", "out",
        "kernel", "stride", "padding", "like", "indices", "size", "scale", "channels", "rank", "1x", "a-b"]


def _expressions():
    atom = st.one_of(st.sampled_from(PARAM_NAMES), st.integers(-2, 4).map(str), st.just("'x'"),
                     st.sampled_from(["channels('image')", "channels('nope')", "channels('pool1')", "True", "None"]))

    def grow(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "//", "%", "<", "==", "and", "or"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            st.tuples(inner, inner).map(lambda t: f"[1, 2, 3][{t[0]}]"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
            inner.map(lambda a: f"[{a}, {a}]"),
            inner.map(lambda a: f"[v for v in range(3) if v != {a}]"),
        )

    body = st.recursive(atom, grow, max_leaves=5)
    broken = st.sampled_from(["${", "${}", "${1 +}", "${a.b}", "${__import__('os')}", "${1/0}", "${x}y${",
                              "${'{'}"])
    return st.one_of(body.map(lambda e: "${" + e + "}"), body.map(lambda e: "conv${" + e + "}"), broken)


SCALARS = st.one_of(
    st.integers(-3, 70), st.sampled_from([0, -1, 10 ** 9, -(10 ** 9), 2 ** 63]),
    st.floats(allow_nan=False, allow_infinity=False, width=32), st.booleans(), st.none(),
    st.text(alphabet="abcxyz_.0123 ", max_size=8), st.sampled_from(REF_NAMES + BLOCK_NAMES), _expressions(),
)
REPEATS = st.one_of(st.integers(-2, 3), st.integers(MAX_REPEAT - 2, MAX_REPEAT + 2),
                    st.sampled_from([10 ** 9, 2 ** 63, True, 2.5, "${width * 100}", "${2 ** 40}"]))
"""Repeat counts around 0 and around the resolver's MAX_REPEAT cap (which the cap
refuses with a located error), plus non-integers."""
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)), max_leaves=6)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


def _get(data, path):
    for key in path:
        data = data[key]
    return data


@st.composite
def mutated(draw, base: dict):
    data = copy.deepcopy(base)
    applied = []
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p and p != ("description",)]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _get(data, path[:-1]), path[-1]
        current = parent[key]
        kind = draw(st.sampled_from(["drop", "replace", "add_key", "from", "block", "repeat", "number"]))
        if kind == "drop" and isinstance(parent, dict):
            del parent[key]
        elif kind == "add_key" and isinstance(current, dict):
            current[draw(st.sampled_from(KEYS))] = draw(VALUES)
        elif kind == "from":
            nodes = data.get("nodes") if isinstance(data.get("nodes"), dict) else {}
            node = draw(st.sampled_from(sorted(nodes))) if nodes else None
            if node is not None and isinstance(nodes[node], dict):
                nodes[node]["from"] = draw(st.one_of(st.sampled_from(REF_NAMES), st.text(max_size=6),
                                                     st.lists(st.sampled_from(REF_NAMES), max_size=3),
                                                     st.dictionaries(st.sampled_from(["a", "x", "b"]),
                                                                     st.sampled_from(REF_NAMES), max_size=2)))
            kind = f"from of {node}"
        elif kind == "block":
            nodes = data.get("nodes") if isinstance(data.get("nodes"), dict) else {}
            node = draw(st.sampled_from(sorted(nodes))) if nodes else None
            if node is not None and isinstance(nodes[node], dict):
                nodes[node]["block"] = draw(st.sampled_from(BLOCK_NAMES))
            kind = f"block of {node}"
        elif kind == "repeat":
            nodes = data.get("nodes") if isinstance(data.get("nodes"), dict) else {}
            node = draw(st.sampled_from(sorted(nodes))) if nodes else None
            if node is not None and isinstance(nodes[node], dict):
                nodes[node]["repeat"] = draw(REPEATS)
            kind = f"repeat of {node}"
        elif kind == "number" and isinstance(current, int) and not isinstance(current, bool):
            parent[key] = draw(st.sampled_from([0, -current, -1, current * 1000, 10 ** 6, 10 ** 9]))
        else:
            kind = "replace"
            parent[key] = draw(VALUES)
        applied.append((kind, path))
    return data, applied


class _Timeout(Exception):
    pass


@contextmanager
def _time_limit(seconds):
    def handler(signum, frame):
        raise _Timeout()

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _check(text):
    """None if the spec checks, else the SegkitError."""
    try:
        segkit.check(text)
    except SegkitError as exc:
        return exc
    return None


def _assert_located(text):
    """Check ``text`` within TIME_LIMIT_S: it passes, or fails with a located SegkitError."""
    try:
        with _time_limit(TIME_LIMIT_S):
            err = _check(text)
    except _Timeout:
        pytest.fail(f"check did not finish in {TIME_LIMIT_S}s\n--- mutated spec ---\n{text}")
    except Exception as exc:  # noqa: BLE001 - any non-SegkitError is the failure we look for
        pytest.fail(f"{type(exc).__name__}: {exc}\n--- mutated spec ---\n{text}")
    if err is not None:
        located = err.loc.line > 0 or err.loc.file in PSEUDO_FILES
        assert located, f"unlocated error: {err.format()}\n--- mutated spec ---\n{text}"
        assert err.format().startswith(str(err.loc))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_specs_are_valid(path):
    assert _check(yaml.safe_dump(example_data(path), sort_keys=False)) is None


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_mutated_examples_fail_with_located_errors(path):
    base = example_data(path)

    @settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated(base))
    def run(case):
        data, applied = case
        text = yaml.safe_dump(data, sort_keys=False)
        note(f"mutations: {applied}")
        note(text)
        _assert_located(text)

    run()


def test_fuzz_detects_non_segkit_errors(monkeypatch):
    """The harness itself: a non-SegkitError fails, an unlocated SegkitError fails."""
    text = yaml.safe_dump(example_data(EXAMPLES[0]), sort_keys=False)

    def boom(*args, **kwargs):
        raise KeyError("x")

    monkeypatch.setattr(segkit, "check", boom)
    with pytest.raises(pytest.fail.Exception, match="KeyError"):
        _assert_located(text)

    def unlocated(*args, **kwargs):
        raise SegkitError("somewhere")

    monkeypatch.setattr(segkit, "check", unlocated)
    with pytest.raises(AssertionError, match="unlocated error"):
        _assert_located(text)

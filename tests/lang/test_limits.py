"""Hostile spec files: every one is refused by ``segkit check`` with exit 2, a message at
file:line:col where there is one, in under a second of CPU and 200 MB, never a traceback.

The named probes are the ones of issue 13 (billion laughs, recursive alias, 10,000-deep
brackets, FIFO, /dev/zero, binary garbage, NUL, lone surrogates, a 5000-digit --set,
oversized files and sections, typos in skipped nodes); the hypothesis test mutates a
valid spec at the text level and adds hostile structures of random sizes.
"""
from __future__ import annotations

import os
import re
import signal
import time
import tracemalloc
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from segkit.cli.group import main
from segkit.lang.limits import MAX_DEPTH, MAX_ENTRIES, MAX_FILE_BYTES, MAX_VALUES
from segkit.testing import make_registry

CPU_LIMIT_S = 1.0
MEMORY_LIMIT = 200 * 2 ** 20
HANG_LIMIT_S = 20

BASE = ("segkit: 1\nname: t\nparams: {num_classes: 4}\ninputs: {x: 3}\nnodes:\n"
        "  a: {block: conv, from: x, out: \"${num_classes}\", kernel: 3}\n"
        "  b: {block: act, from: a}\noutputs: {out: b}\n")


@pytest.fixture(scope="module")
def registry():
    return make_registry()


class _Hang(Exception):
    pass


@contextmanager
def _hang_guard():
    def handler(signum, frame):
        raise _Hang()

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, HANG_LIMIT_S)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def check(registry, path, *args):
    """Run ``segkit check path args``: its result, CPU seconds and peak traced memory."""
    tracemalloc.start()
    started = time.process_time()
    try:
        with _hang_guard():
            result = CliRunner().invoke(main, ["check", str(path), *args], obj={"registry": registry})
    except _Hang:
        pytest.fail(f"segkit check {path} did not finish in {HANG_LIMIT_S}s")
    finally:
        cpu = time.process_time() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, cpu, peak


def assert_refused(registry, path, *args, where=r":\d+:\d+", says=""):
    """Exit 2 with ``path`` + ``where`` + ": error: ..." + ``says``, fast and small."""
    result, cpu, peak = check(registry, path, *args)
    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output and "internal error" not in output, output
    assert re.match(re.escape(str(path)) + where + r": error: ", output), output
    assert re.search(says, output), output
    assert cpu < CPU_LIMIT_S, f"{cpu:.2f}s of CPU"
    assert peak < MEMORY_LIMIT, f"{peak / 2 ** 20:.0f} MB"
    return output


def write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return path


def laughs(levels, fan):
    lines = [f"l0: &l0 [{', '.join(['lol'] * fan)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fan)}]" for i in range(1, levels)]
    return BASE.replace("params: {num_classes: 4}", "params:\n  num_classes: 4\n  " + "\n  ".join(lines))


HOSTILE = {
    "billion_laughs": (laughs(9, 10), "expands to more than"),
    "recursive_alias": ("r: &r [1, *r]\n" + BASE, "recursive YAML alias"),
    "recursive_mapping": ("r: &r {a: *r}\n" + BASE, "recursive YAML alias"),
    "deep_brackets": ("x: " + "[" * 10_000 + "]" * 10_000 + "\n", "nest"),
    "deep_mappings": ("x: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n", "nested more than"),
    "deep_block_style": ("".join(" " * i + "a:\n" for i in range(MAX_DEPTH + 2)) + " " * (MAX_DEPTH + 2) + "1\n",
                         "nested more than"),
    "many_values": ("x: [" + ", ".join(["1"] * (MAX_VALUES + 1)) + "]\n", "more than"),
    "nul_byte": (BASE.replace("name: t", "name: t\0"), "U\\+0000"),
    "nul_escape": (BASE.replace("name: t", 'name: "t\\0"'), "U\\+0000"),
    "surrogate_escape": (BASE.replace("name: t", 'name: "\\ud800"'), "malformed YAML|U\\+D800"),
    "control_character": (BASE.replace("name: t", "name: t\x07"), "U\\+0007"),
    "binary_garbage": (BASE.encode() + bytes(range(128, 256)) * 4, "not UTF-8"),
    "latin1": (BASE.replace("name: t", "name: caf\xe9").encode("latin-1"), "byte 0xe9"),
    "huge_integer": (BASE.replace("num_classes: 4", "num_classes: " + "7" * 5000), "5,000 characters"),
    "many_nodes": (BASE.replace("  b: {block: act, from: a}\n", "".join(
        f"  n{i}: {{block: act}}\n" for i in range(MAX_ENTRIES + 1))), "at most 1,000"),
    "when_false_typo": (BASE.replace("from: a}", "from: a, inplace: true, kernal: 3, when: false}"),
                        "unknown param 'kernal'"),
    "repeat_zero_typo": (BASE.replace("from: a}", "from: a, kernal: 3, repeat: 0}"), "unknown param 'kernal'"),
    "skipped_composite_typo": (BASE.replace("from: a}", "from: a}\n  c: {block: conv_bn_act, out: 4, krenel: 3, "
                                            "when: false}").replace("out: b", "out: c"), "no param 'krenel'"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_spec_is_refused_at_a_line(registry, tmp_path, name):
    text, says = HOSTILE[name]
    assert_refused(registry, write(tmp_path, text), says=says)


def test_skipped_nodes_still_pass_when_their_params_are_right(registry, tmp_path):
    text = BASE.replace("from: a}", "from: a, repeat: 0}\n  c: {block: conv, out: 4, kernel: \"${i + 1}\", "
                        "repeat: 0}").replace("out: b", "out: c")
    result, _, _ = check(registry, write(tmp_path, text))
    assert result.exit_code == 0, result.output


def test_oversized_file_is_refused_without_reading_it(registry, tmp_path):
    path = write(tmp_path, BASE + "# " + "x" * MAX_FILE_BYTES + "\n")
    assert_refused(registry, path, where="", says="over the 1,048,576-byte limit")


def test_fifo_is_refused_before_reading(registry, tmp_path):
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    assert_refused(registry, path, where="", says=r"not a regular file \(a FIFO\)")


def test_symlink_to_dev_zero_is_refused_before_reading(registry, tmp_path):
    path = tmp_path / "zero.yaml"
    path.symlink_to("/dev/zero")
    assert_refused(registry, path, where="", says="not a regular file")


def test_directory_named_like_a_spec_is_refused(registry, tmp_path):
    path = tmp_path / "dir.yaml"
    path.mkdir()
    assert_refused(registry, path, where="", says=r"not a regular file \(a directory\)")


def test_extends_of_a_fifo_is_refused(registry, tmp_path):
    os.mkfifo(tmp_path / "base.yaml")
    path = write(tmp_path, "extends: base.yaml\n" + BASE)
    assert_refused(registry, path, says="extends|not a regular file")


def test_huge_integer_in_set_is_located_at_the_option(registry, tmp_path):
    path = write(tmp_path, BASE)
    result, cpu, _ = check(registry, path, "--set", "num_classes=" + "9" * 5000)
    assert result.exit_code == 2 and result.output.startswith("--set num_classes:1:1: error: "), result.output
    assert "5,000 characters" in result.output and cpu < CPU_LIMIT_S


def test_surrogate_in_set_is_located_at_the_option(registry, tmp_path):
    path = write(tmp_path, BASE)
    result, _, _ = check(registry, path, "--set", "num_classes=4\udcff")
    assert result.exit_code == 2 and result.output.startswith("--set num_classes:1:2: error: "), result.output
    assert "U+DCFF" in result.output


# -- fuzz: text-level mutations and hostile structures of random sizes ---------------------

JUNK = st.one_of(
    st.binary(min_size=1, max_size=12),
    st.sampled_from(["\0", "\\0", '"\\ud800"', "\udcff", "\x07", "*r", "&r", "&r [*r]", "!!python/object:os.system",
                     "<<: *r", "${", "}", "[", "{", ":", "- ", "\t", "'", '"', "? ", "%YAML 1.1\n---\n",
                     "9" * 5000, "\ufeff", "\n---\n", "\r", "\x85", "\u2028"]).map(lambda s: s.encode("utf-8",
                                                                                                         "surrogatepass")),
)


@st.composite
def hostile_structures(draw):
    kind = draw(st.sampled_from(["laughs", "brackets", "mappings", "alias_cycle", "wide"]))
    if kind == "laughs":
        return laughs(draw(st.integers(2, 12)), draw(st.integers(2, 12)))
    if kind == "brackets":
        depth = draw(st.integers(1, 20_000))
        return BASE + "extra: " + "[" * depth + "]" * depth + "\n"
    if kind == "mappings":
        depth = draw(st.integers(1, 5_000))
        return BASE + "extra: " + "{a: " * depth + "1" + "}" * depth + "\n"
    if kind == "alias_cycle":
        inner = draw(st.sampled_from(["[1, *r]", "{k: *r}", "[[*r]]", "{k: [1, {j: *r}]}"]))
        return f"r: &r {inner}\n" + BASE
    count = draw(st.integers(1, 3 * MAX_VALUES))
    return BASE.replace("params: {num_classes: 4}", "params: {num_classes: 4, w: [" + ", ".join(["1"] * count) + "]}")


@st.composite
def mutated_texts(draw):
    data = bytearray(BASE.encode())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate", "truncate"]))
        if action == "insert":
            data[at:at] = draw(JUNK)
        elif action == "delete":
            del data[at:at + draw(st.integers(1, 8))]
        elif action == "duplicate":
            data[at:at] = data[at:at + draw(st.integers(1, 60))]
        else:
            del data[at:]
    return bytes(data)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                HealthCheck.function_scoped_fixture])
@given(st.one_of(mutated_texts(), hostile_structures().map(lambda t: t.encode())))
def test_fuzzed_spec_files_pass_or_are_refused_fast_at_a_line(registry, tmp_path, data):
    note(repr(data[:400]))
    path = write(tmp_path, data, "fuzz.yaml")
    result, cpu, peak = check(registry, path)
    output = result.output
    assert result.exit_code in (0, 2), output
    assert "Traceback" not in output and "internal error" not in output, output
    if result.exit_code == 2:
        first = output.splitlines()[0]
        assert re.match(re.escape(str(path)) + r":[1-9]\d*:[1-9]\d*: error: ", first) or \
            re.match(r"[^:]+:[1-9]\d*:[1-9]\d*: error: ", first), output
        assert cpu < CPU_LIMIT_S, f"refused after {cpu:.2f}s of CPU"
    assert peak < MEMORY_LIMIT, f"{peak / 2 ** 20:.0f} MB"

"""The located YAML loader: safe_load semantics, exact source positions, and located
errors for everything a spec may not contain."""
import math

import pytest
import yaml

import segkit
from segkit.errors import SegkitError, SpecSyntaxError
from segkit.lang.loader import LocMap, load_yaml, load_yaml_file
from tests.lang._util import pos_of, spec

DOC = """\
segkit: 1
name: located
nodes:
  enc:   {block: conv, out: 8}
  dec:
    block: conv
    from: [enc,   x]
    rates:
      - 1
      -    {r: 6}
"""


def test_values_are_plain_python():
    data, _ = load_yaml(DOC, "f.yaml")
    assert data == {
        "segkit": 1, "name": "located",
        "nodes": {"enc": {"block": "conv", "out": 8},
                  "dec": {"block": "conv", "from": ["enc", "x"], "rates": [1, {"r": 6}]}},
    }
    assert type(data) is dict and type(data["nodes"]["dec"]["rates"]) is list


@pytest.mark.parametrize("path,needle,occurrence", [
    (("segkit",), "segkit", 1),
    (("nodes",), "nodes", 1),
    (("nodes", "enc"), "enc", 1),
    (("nodes", "enc", "out"), "out", 1),
    (("nodes", "dec", "block"), "block", 2),
    (("nodes", "dec", "from", 1), "x]", 1),
    (("nodes", "dec", "rates", 0), "1", 2),
    (("nodes", "dec", "rates", 1), "{r: 6}", 1),
    (("nodes", "dec", "rates", 1, "r"), "r: 6", 1),
])
def test_locations_are_exact(path, needle, occurrence):
    _, locs = load_yaml(DOC, "f.yaml")
    loc = locs.at(path)
    assert (loc.file, loc.line, loc.column) == ("f.yaml", *pos_of(DOC, needle, occurrence))
    assert loc.path == path


def test_spot_positions_by_hand():
    _, locs = load_yaml(DOC, "f.yaml")
    # written out by hand, independently of the pos_of helper
    assert (locs.at(("nodes", "enc")).line, locs.at(("nodes", "enc")).column) == (4, 3)
    assert (locs.at(("nodes", "dec", "from", 0)).line, locs.at(("nodes", "dec", "from", 0)).column) == (7, 12)
    assert (locs.at(("nodes", "dec", "from", 1)).line, locs.at(("nodes", "dec", "from", 1)).column) == (7, 19)
    assert (locs.at(("nodes", "dec", "rates", 1)).line, locs.at(("nodes", "dec", "rates", 1)).column) == (10, 12)


def test_unlocated_path_falls_back_to_nearest_ancestor():
    _, locs = load_yaml(DOC, "f.yaml")
    loc = locs.at(("nodes", "enc", "no_such_key", 3))
    assert (loc.line, loc.column) == (4, 3)
    assert loc.path == ("nodes", "enc", "no_such_key", 3)


def test_file_locations(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(DOC)
    _, locs = load_yaml_file(path)
    assert locs.at(("nodes", "dec")).file == str(path)
    assert locs.at(("nodes", "dec")).line == 5


def test_graft_moves_locations():
    _, src = load_yaml(DOC, "a.yaml")
    dst = LocMap("b.yaml")
    dst.graft(src, ("nodes", "enc"), ("nodes", "renamed"))
    assert dst.at(("nodes", "renamed", "out")).line == 4
    assert dst.at(("nodes", "renamed", "out")).file == "a.yaml"
    assert ("nodes", "dec") not in dst.locs


@pytest.mark.parametrize("text", [
    "a: 1\nb: -3\nc: 0o17\nd: 0x1f\ne: 1_000\n",
    "a: 1.5\nb: 1e3\nc: -.5\nd: .inf\ne: -.inf\n",
    "a: true\nb: false\nc: yes\nd: no\ne: on\nf: True\n",
    "a: null\nb: ~\nc:\nd: Null\n",
    "a: '12'\nb: \"true\"\nc: !!str 7\nd: plain text\ne: '${x}'\n",
    "a: [1, [2, {b: c}]]\nd: {e: [], f: {}}\n",
    "a: &anchor {x: 1}\nb: *anchor\n",
])
def test_scalars_match_safe_load(text):
    data, _ = load_yaml(text)
    expected = yaml.safe_load(text)
    assert data == expected
    for key, value in expected.items():
        assert type(data[key]) is type(value), key
        if isinstance(value, float) and math.isinf(value):
            assert data[key] == value


def test_empty_document_is_none():
    data, locs = load_yaml("# only a comment\n", "f.yaml")
    assert data is None
    assert locs.at(()).line == 1


@pytest.mark.parametrize("text,needle", [
    ("segkit: 1\nname: x\nparams:\n  p: !!python/object:os.system {}\n", "!!python/object"),
    ("segkit: 1\nname: x\nparams:\n  p: !!python/object/apply:os.system ['true']\n", "!!python/object/apply"),
    ("segkit: 1\nname: x\nparams:\n  p: !!python/name:os.system ''\n", "!!python/name"),
    ("segkit: 1\nname: x\nparams:\n  p: !!binary aGVsbG8=\n", "!!binary"),
    ("segkit: 1\nname: x\nparams:\n  p: !!set {a, b}\n", "!!set"),
    ("segkit: 1\nname: x\nparams:\n  p: !custom 3\n", "!custom"),
    ("segkit: 1\nname: x\nparams:\n  p: !!python/tuple [1, 2]\n", "!!python/tuple"),
])
def test_unsafe_tags_rejected_at_their_line(text, needle):
    with pytest.raises(SpecSyntaxError) as info:
        load_yaml(text, "f.yaml")
    err = info.value
    assert (err.loc.line, err.loc.column) == pos_of(text, needle)
    assert "not allowed" in err.message
    assert needle.split(":")[0].split(" ")[0] in err.message


def test_unsafe_tag_never_constructs(monkeypatch):
    import os

    called = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a))
    with pytest.raises(SegkitError):
        segkit.load_spec("segkit: 1\nname: x\nparams:\n  p: !!python/object/apply:os.system ['true']\n")
    assert called == []


def test_merge_key_rejected_at_its_line():
    text = "segkit: 1\nname: x\nbase: &b {p: 1}\nparams:\n  <<: *b\n  q: 2\n"
    with pytest.raises(SpecSyntaxError) as info:
        load_yaml(text, "f.yaml")
    assert info.value.loc.line == 5


def test_merge_key_message_suggests_extends():
    text = "segkit: 1\nname: x\nbase: &b {p: 1}\nparams:\n  <<: *b\n"
    with pytest.raises(SpecSyntaxError, match="extends"):
        load_yaml(text, "f.yaml")


@pytest.mark.parametrize("text,line,col", [
    ("a: 1\nb: 2\na: 3\n", 3, 1),
    ("a:\n  x: 1\n  y: 2\n  x: 3\n", 4, 3),
    ("a: {x: 1, x: 2}\n", 1, 11),
    ("1: a\n1: b\n", 2, 1),
])
def test_duplicate_keys(text, line, col):
    with pytest.raises(SpecSyntaxError, match="duplicate key") as info:
        load_yaml(text, "f.yaml")
    assert (info.value.loc.line, info.value.loc.column) == (line, col)


def test_duplicate_node_in_spec_is_an_error_not_last_wins():
    text = spec("a: {block: conv, out: 4}\nb: {block: conv, out: 5}\na: {block: conv, out: 6}")
    with pytest.raises(SpecSyntaxError, match="duplicate key 'a'") as info:
        segkit.check(text)
    assert info.value.loc.line == text.splitlines().index("  a: {block: conv, out: 6}") + 1


def test_multiple_documents():
    text = "segkit: 1\nname: a\n---\nsegkit: 1\nname: b\n"
    with pytest.raises(SpecSyntaxError, match="one YAML document") as info:
        load_yaml(text, "f.yaml")
    assert info.value.loc.line == 4


@pytest.mark.parametrize("text,line", [
    ("a: [1, 2\nb: 3\n", 2),
    ("a: 1\n  b: 2\n", 2),
    ("a:\n\t- 1\n", 2),
    ("a: {b: 1\n", 2),
    ("a: 1\nb: c: d\n", 2),
    ("- a\nb: 1\n", 2),
])
def test_malformed_yaml(text, line):
    with pytest.raises(SpecSyntaxError, match="malformed YAML") as info:
        load_yaml(text, "f.yaml")
    assert info.value.loc.line == line
    assert info.value.loc.file == "f.yaml"
    assert info.value.format().startswith(f"f.yaml:{line}:")


def test_complex_keys_rejected():
    with pytest.raises(SpecSyntaxError, match="plain scalars") as info:
        load_yaml("a: 1\n? [1, 2]\n: 3\n", "f.yaml")
    assert info.value.loc.line == 2


def test_missing_file_is_located_error(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(SpecSyntaxError, match="cannot read") as info:
        load_yaml_file(missing)
    assert info.value.loc.file == str(missing)


def test_undecodable_file_is_located_error(tmp_path):
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"segkit: 1\nname: \xff\xfe\n")
    with pytest.raises(SpecSyntaxError) as info:
        load_yaml_file(path)
    assert info.value.loc.file == str(path)


def test_spec_errors_from_loader_carry_file_and_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("segkit: 1\nname: s\ninputs: {x: 3}\nnodes:\n  a: !!python/object:os.system {}\n")
    with pytest.raises(SpecSyntaxError) as info:
        segkit.check(path)
    assert str(info.value.loc).startswith(f"{path}:5:")

"""The spec file schema: every structural mistake is a SpecSchemaError at its line."""
import pytest

import segkit
from segkit.errors import SegkitError, SpecSchemaError
from segkit.lang.schema import load_spec
from tests.lang._util import pos_of, spec

GOOD = """\
segkit: 1
name: t
inputs:
  x: 3
nodes:
  a: {block: conv, out: 4}
outputs:
  out: a
"""


def raises_schema(text, match=None):
    with pytest.raises(SpecSchemaError, match=match) as info:
        segkit.check(text)
    return info.value


def test_good_spec_loads():
    loaded = load_spec(GOOD)
    assert loaded.name == "t"
    assert list(loaded.nodes) == ["a"]
    assert loaded.inputs["x"].channels == 3 and loaded.inputs["x"].rank == 2
    assert loaded.outputs == {"out": "a"}


def test_unknown_top_level_key_with_suggestion():
    text = GOOD + "nodez: {}\n"
    err = raises_schema(text, "unknown key 'nodez'")
    assert (err.loc.line, err.loc.column) == pos_of(text, "nodez")
    assert "did you mean 'nodes'" in err.hint


def test_unknown_top_level_key_without_close_match_lists_allowed():
    err = raises_schema(GOOD + "zzzzzz: 1\n", "unknown key 'zzzzzz'")
    assert err.loc.line == 9
    for key in ("segkit", "name", "params", "inputs", "nodes", "outputs"):
        assert key in err.hint


@pytest.mark.parametrize("key", ["segkit", "name"])
def test_missing_required_key(key):
    text = "\n".join(line for line in GOOD.splitlines() if not line.startswith(key + ":")) + "\n"
    err = raises_schema(text, f"missing required key '{key}'")
    assert err.loc.line == 1


@pytest.mark.parametrize("value,match", [("2", "unsupported spec format version 2"),
                                         ("0", "unsupported spec format version 0"),
                                         ("one", "valid integer")])
def test_wrong_version(value, match):
    text = GOOD.replace("segkit: 1", f"segkit: {value}")
    err = raises_schema(text, match)
    assert err.loc.line == 1 and err.loc.path == ("segkit",)


@pytest.mark.parametrize("node_id", ["1a", "a-b", "a.b", "a b", "x/y"])
def test_bad_node_id(node_id):
    text = GOOD.replace("  a: {block", f"  '{node_id}': {{block").replace("out: a\n", f"out: '{node_id}'\n")
    err = raises_schema(text, "must be an identifier")
    assert err.loc.line == 6 and err.loc.column == 3


def test_node_without_block():
    text = GOOD.replace("a: {block: conv, out: 4}", "a: {out: 4}")
    err = raises_schema(text, "node 'a' has no 'block'")
    assert (err.loc.line, err.loc.column) == (6, 3)
    assert "block:" in err.hint


def test_input_named_like_a_node():
    text = GOOD.replace("  x: 3", "  a: 3")
    err = raises_schema(text, "'a' is both an input and a node")
    assert (err.loc.line, err.loc.column) == (6, 3)


def test_bad_input_name():
    text = GOOD.replace("  x: 3", "  1x: 3")
    err = raises_schema(text, "must be an identifier")
    assert err.loc.line == 4


@pytest.mark.parametrize("old,new,line,path", [
    ("name: t", "name: [1]", 2, ("name",)),
    ("name: t", "name: {a: 1}", 2, ("name",)),
    ("inputs:\n  x: 3", "inputs: [x]", 3, ("inputs",)),
    ("  x: 3", "  x: 3.5", 4, ("inputs", "x")),
    ("nodes:\n  a: {block: conv, out: 4}", "nodes: [a]", 5, ("nodes",)),
    ("  a: {block: conv, out: 4}", "  a: 5", 6, ("nodes", "a")),
    ("  a: {block: conv, out: 4}", "  a: [conv]", 6, ("nodes", "a")),
    ("outputs:\n  out: a", "outputs: 5", 7, ("outputs",)),
    ("  out: a", "  out: [a]", 8, ("outputs", "out")),
])
def test_wrong_types_are_located(old, new, line, path):
    text = GOOD.replace(old, new)
    assert text != GOOD
    err = raises_schema(text)
    assert err.loc.line == line, err.format()
    assert err.loc.path == path, err.format()


@pytest.mark.parametrize("extra,line", [("params: [1]\n", 9), ("description: 5\n", 9), ("extends: 5\n", 9),
                                        ("params: {1: 2}\n", 9)])
def test_wrong_types_of_optional_keys(extra, line):
    err = raises_schema(GOOD + extra)
    assert err.loc.line == line


def test_non_mapping_documents():
    for text in ("- a\n- b\n", "just a string\nover two lines\n", "# nothing\n\n"):
        with pytest.raises(SpecSchemaError, match="YAML mapping") as info:
            segkit.check(text)
        assert info.value.loc.line == 1


def test_unknown_node_key_is_a_block_param_error_with_suggestion():
    text = GOOD.replace("{block: conv, out: 4}", "{block: conv, out: 4, frm: x}")
    err = raises_schema(text, "unknown param 'frm' for block 'conv'")
    assert (err.loc.line, err.loc.column) == pos_of(text, "frm")
    assert "did you mean 'from'" in err.hint


def test_unknown_block_param_suggestion():
    text = GOOD.replace("{block: conv, out: 4}", "{block: conv, out: 4, kernal: 3}")
    err = raises_schema(text, "unknown param 'kernal'")
    assert (err.loc.line, err.loc.column) == pos_of(text, "kernal")
    assert "did you mean 'kernel'" in err.hint


@pytest.mark.parametrize("param,value,match", [
    ("out", "0", "greater than or equal to 1"),
    ("out", "-3", "greater than or equal to 1"),
    ("out", "[4]", "valid integer"),
    ("stride", "0", "greater than or equal to 1"),
    ("bias", "maybe", "valid boolean"),
    ("padding", "-1", "greater than or equal to 0"),
])
def test_block_param_type_errors_point_at_the_value(param, value, match):
    node = "{block: conv, out: 4, %s: %s}" % (param, value) if param != "out" else "{block: conv, out: %s}" % value
    text = GOOD.replace("{block: conv, out: 4}", node)
    err = raises_schema(text, match)
    assert err.loc.path == ("nodes", "a", param)
    assert (err.loc.line, err.loc.column) == pos_of(text, f"{param}: {value}")


def test_missing_required_block_param():
    text = GOOD.replace("{block: conv, out: 4}", "{block: conv}")
    err = raises_schema(text, "block 'conv' needs param 'out'")
    assert err.loc.line == 6


@pytest.mark.parametrize("key,value,match", [
    ("repeat", "-1", "non-negative integer"), ("repeat", "1.5", "non-negative integer"),
    ("repeat", "true", "non-negative integer"), ("repeat", "'3'", "non-negative integer"),
    ("when", "1", "true or false"), ("when", "'yes'", "true or false"), ("when", "null", "true or false"),
])
def test_node_keys_are_typed(key, value, match):
    text = GOOD.replace("{block: conv, out: 4}", "{block: conv, out: 4, %s: %s}" % (key, value))
    err = raises_schema(text, match)
    assert (err.loc.line, err.loc.column) == pos_of(text, f"{key}:")


@pytest.mark.parametrize("decl,match", [("0", "positive channel count"), ("-1", "positive channel count"),
                                        ("abc", "positive channel count"), ("null", "positive channel count"),
                                        ("'${[1]}'", "positive channel count")])
def test_input_channels(decl, match):
    text = GOOD.replace("  x: 3", f"  x: {decl}")
    err = raises_schema(text, match)
    assert err.loc.line == 4


def test_all_errors_are_segkit_errors_with_format():
    text = GOOD.replace("segkit: 1", "segkit: 2")
    with pytest.raises(SegkitError) as info:
        segkit.check(text)
    assert info.value.format().startswith("<string>:1:1: error: ")
    assert str(info.value) == info.value.format()


def test_unknown_key_in_input_declaration():
    text = GOOD.replace("  x: 3", "  x: {channels: 3, rnak: 2}")
    err = raises_schema(text)
    assert "rnak" in err.message and "did you mean 'rank'" in (err.hint or "")


def test_input_size_accepts_expression():
    text = spec("a: {block: identity}", inputs="{x: {channels: 3, size: '${s}'}}", params="{s: 32}")
    assert segkit.check(text).outputs["out"].spatial == (32, 32)


@pytest.mark.parametrize("size", ["0", "-5", "[0, 4]"])
def test_input_size_must_be_positive(size):
    text = spec("a: {block: identity}", inputs="{x: {channels: 3, size: %s}}" % size)
    with pytest.raises(SpecSchemaError) as info:
        segkit.check(text)
    assert info.value.loc.path[:2] == ("inputs", "x")


def test_input_size_length_must_match_rank():
    text = spec("a: {block: identity}", inputs="{x: {channels: 3, size: [1, 2, 3]}}")
    with pytest.raises(SpecSchemaError):
        segkit.check(text)


def test_boolean_channel_count_is_rejected():
    with pytest.raises(SpecSchemaError):
        segkit.check(GOOD.replace("  x: 3", "  x: true"))

"""A node's ``args`` key: more params as one mapping (usually a ``${...}``), for a block
chosen by a param whose params depend on which block it is (``encoder`` in the shipped
architectures)."""
import pytest

import segkit
from segkit.errors import SpecSchemaError
from tests.lang._util import line_of, spec

CHOOSE = """
a: {block: "${kind}", from: x, args: "${ {'out': 8, 'kernel': 3} if kind == 'conv_bn_act' else {} }"}
"""


def test_args_are_params_of_the_chosen_block(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(spec(CHOOSE, params="{kind: conv_bn_act}"))
    assert segkit.check(path, input="3x8x8").outputs["out"].channels == 8
    assert segkit.check(path, input="3x8x8", kind="act").outputs["out"].channels == 3


def test_args_must_be_a_mapping(tmp_path):
    text = spec("a: {block: act, from: x, args: [1]}")
    (tmp_path / "s.yaml").write_text(text)
    with pytest.raises(SpecSchemaError, match="'args' must be a mapping") as info:
        segkit.check(tmp_path / "s.yaml", input="3x8x8")
    assert info.value.loc.line == line_of(text, "args")


def test_a_param_given_twice_is_an_error(tmp_path):
    (tmp_path / "s.yaml").write_text(spec("a: {block: conv, from: x, out: 4, args: {out: 8}}"))
    with pytest.raises(SpecSchemaError, match="'out' is given both"):
        segkit.check(tmp_path / "s.yaml", input="3x8x8")


def test_an_unknown_param_in_args_names_the_block(tmp_path):
    (tmp_path / "s.yaml").write_text(spec("a: {block: act, from: x, args: {depth: 50}}"))
    with pytest.raises(SpecSchemaError, match="unknown param 'depth' for block 'act'"):
        segkit.check(tmp_path / "s.yaml", input="3x8x8")

"""Resolution: params, overrides, references, repeat/when, composite blocks, extends,
graph checks, and what the compiled module returns."""
import textwrap

import pytest

import segkit
from segkit.errors import ExpressionError, GraphError, ReferenceError_, RegistryError, SegkitError, SpecSchemaError
from segkit.lang.render import render
from segkit.lang.resolver import evaluate_params
from segkit.lang.schema import load_spec
from tests.lang._util import line_of, pos_of, spec


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return path


def ids(report):
    return list(report.graph.nodes)


# -- params --------------------------------------------------------------------------------

PARAMS = spec("""
a: {block: conv, out: '${c2}', kernel: '${k}'}
""", params="{c: 4, c2: '${c * 2}', k: '${1 if c2 > 8 else 3}'}")


def test_params_evaluated_in_order_and_used():
    report = segkit.check(PARAMS)
    assert report.graph.params == {"c": 4, "c2": 8, "k": 3}
    node = report.graph.nodes["a"]
    assert node.params.out == 8 and node.params.kernel == 3
    assert report.outputs["out"].channels == 8


def test_override_changes_dependent_params():
    report = segkit.check(PARAMS, c=5)
    assert report.graph.params == {"c": 5, "c2": 10, "k": 1}
    assert report.graph.nodes["a"].params.kernel == 1
    assert report.outputs["out"].channels == 10


def test_override_with_expression_and_of_a_derived_param():
    assert segkit.check(PARAMS, c="${2 + 1}").graph.params["c2"] == 6
    assert segkit.check(PARAMS, c2=16).graph.params == {"c": 4, "c2": 16, "k": 1}


def test_param_used_before_definition_is_an_error():
    text = spec("a: {block: conv, out: '${c2}'}", params="{c2: '${c * 2}', c: 4}")
    with pytest.raises(ExpressionError, match="unknown name 'c'") as info:
        segkit.check(text)
    assert info.value.loc.path == ("params", "c2") and info.value.loc.line == 3


def test_unknown_override_suggests():
    with pytest.raises(SpecSchemaError, match="has no param 'cc'") as info:
        segkit.check(PARAMS, cc=3)
    assert info.value.loc.file == "--set"
    assert "did you mean 'c'" in info.value.hint
    assert info.value.format().startswith("--set: error:")


def test_unknown_override_of_spec_without_params():
    with pytest.raises(SpecSchemaError, match="has no param 'zz'") as info:
        segkit.check(spec("a: {block: conv, out: 4}"), zz=1)
    assert "no params" in info.value.hint


def test_evaluate_params_directly():
    loaded = load_spec(PARAMS)
    assert evaluate_params(loaded, {"c": 1}) == {"c": 1, "c2": 2, "k": 3}


# -- from ----------------------------------------------------------------------------------

def test_from_defaults_to_previous_node_and_only_input():
    report = segkit.check(spec("""
        a: {block: conv, out: 4}
        b: {block: conv, out: 5}
        c: {block: conv, from: x, out: 6}
        d: {block: concat, from: [b, c]}
    """, outputs="{out: d}"))
    nodes = report.graph.nodes
    assert [str(v) for v in nodes["a"].inputs] == ["x"]
    assert [str(v) for v in nodes["b"].inputs] == ["a"]
    assert [str(v) for v in nodes["c"].inputs] == ["x"]
    assert [str(v) for v in nodes["d"].inputs] == ["b", "c"]
    assert report.outputs["out"].channels == 11


def test_first_node_needs_from_with_several_inputs():
    text = spec("a: {block: conv, out: 4}", inputs="{x: 3, y: 3}")
    with pytest.raises(SpecSchemaError, match="needs 'from'") as info:
        segkit.check(text)
    assert info.value.loc.line == line_of(text, "a: {block")


def test_node_order_is_free():
    report = segkit.check(spec("""
        b: {block: conv, from: a, out: 5}
        a: {block: conv, from: x, out: 4}
    """, outputs="{out: b}"))
    assert ids(report) == ["a", "b"]
    assert report.outputs["out"].channels == 5


def test_named_outputs():
    report = segkit.check(spec("""
        s: {block: split, sizes: [1, 2]}
        a: {block: conv, from: s.1, out: 4}
        b: {block: concat, from: [s.0, a]}
    """, outputs="{out: b, first: s.0}"))
    assert [str(v) for v in report.graph.nodes["a"].inputs] == ["s.1"]
    assert report.graph.nodes["a"].meta["shapes"]["out"].channels == 4
    assert report.outputs == {"out": segkit.Shape(5, (256, 256)), "first": segkit.Shape(1, (256, 256))}


def test_multi_output_node_needs_a_name():
    text = spec("""
        s: {block: split, parts: 3}
        a: {block: conv, from: s, out: 4}
    """)
    with pytest.raises(ReferenceError_, match="several outputs") as info:
        segkit.check(text)
    assert info.value.loc.path == ("nodes", "a", "from")
    assert info.value.loc.line == line_of(text, "a: {block")
    assert "s.0" in info.value.hint


def test_multi_output_node_as_output_needs_a_name():
    text = spec("s: {block: split, parts: 3}", outputs="{out: s}")
    with pytest.raises(ReferenceError_, match="several outputs") as info:
        segkit.check(text)
    assert info.value.loc.path == ("outputs", "out")


def test_unknown_named_output():
    text = spec("""
        p: {block: maxpool, return_indices: true}
        a: {block: conv, from: p.indexes, out: 4}
    """)
    with pytest.raises(ReferenceError_, match="has no output 'indexes'") as info:
        segkit.check(text)
    assert "did you mean 'indices'" in info.value.hint


def test_dangling_from_suggests():
    text = spec("""
        conv1: {block: conv, out: 4}
        a: {block: conv, from: conv2, out: 4}
    """)
    with pytest.raises(ReferenceError_, match="'conv2' names no node or input") as info:
        segkit.check(text)
    assert (info.value.loc.line, info.value.loc.column) == pos_of(text, "from: conv2")
    assert "did you mean 'conv1'" in info.value.hint


def test_dangling_from_in_list_points_at_the_item():
    text = spec("""
        b: {block: conv, out: 4}
        a: {block: add, from: [b, nothing_like_it]}
    """)
    with pytest.raises(ReferenceError_) as info:
        segkit.check(text)
    assert (info.value.loc.line, info.value.loc.column) == pos_of(text, "nothing_like_it")
    assert info.value.loc.path == ("nodes", "a", "from", 1)


def test_dangling_output():
    text = spec("a: {block: conv, out: 4}", outputs="{out: b}")
    with pytest.raises(ReferenceError_, match="'b' names no node") as info:
        segkit.check(text)
    assert info.value.loc.path == ("outputs", "out") and info.value.loc.line == line_of(text, "outputs:")


def test_input_has_no_named_outputs():
    with pytest.raises(ReferenceError_, match="no named outputs"):
        segkit.check(spec("a: {block: conv, from: x.out, out: 4}"))


def test_trailing_dot_reference_is_rejected():
    with pytest.raises(ReferenceError_):
        segkit.check(spec("a: {block: conv, from: 'x.', out: 4}"))


# -- cycles, unused nodes, outputs ------------------------------------------------------------

def test_cycle_reported_with_path():
    text = spec("""
        a: {block: conv, from: b, out: 4}
        b: {block: conv, from: a, out: 4}
    """)
    with pytest.raises(GraphError, match="cycle: a -> b -> a") as info:
        segkit.check(text)
    assert info.value.loc.line == line_of(text, "a: {block")


def test_longer_cycle_and_self_loop():
    with pytest.raises(GraphError, match="cycle: b -> d -> c -> b"):
        segkit.check(spec("""
            a: {block: conv, out: 4}
            b: {block: add, from: [a, d]}
            c: {block: conv, from: b, out: 4}
            d: {block: conv, from: c, out: 4}
        """, outputs="{out: d}"))
    with pytest.raises(GraphError, match="cycle: a -> a"):
        segkit.check(spec("a: {block: conv, from: a, out: 4}"))


def test_cycle_through_ref_param():
    with pytest.raises(GraphError, match="cycle"):
        segkit.check(spec("""
            a: {block: conv, out: 4}
            b: {block: resize, from: a, like: c}
            c: {block: conv, from: b, out: 4}
        """, outputs="{out: c}"))


def test_unused_node_warns_and_is_pruned():
    text = spec("""
        a: {block: conv, out: 4}
        dead: {block: conv, from: x, out: 7}
        b: {block: conv, from: a, out: 5}
    """, outputs="{out: b}")
    report = segkit.check(text)
    assert ids(report) == ["a", "b"]
    assert [r.id for r in report.rows] == ["a", "b"]
    assert len(report.warnings) == 1
    warning = report.warnings[0]
    assert "'dead'" in warning.message and "not used" in warning.message
    assert warning.loc.line == line_of(text, "dead:")
    assert warning.format().startswith(f"<string>:{warning.loc.line}:3: warning:")
    assert report.params == 3 * 4 * 9 + 4 + 4 * 5 * 9 + 5


def test_unused_composite_is_pruned_as_one_warning():
    report = segkit.check(spec("""
        a: {block: conv, out: 4}
        dead: {block: conv_bn_act, from: x, out: 7}
    """))
    assert ids(report) == ["a"]
    assert [w.message.split()[1] for w in report.warnings] == ["'dead'"]


def test_no_outputs():
    text = spec("a: {block: conv, out: 4}", outputs="{}")
    with pytest.raises(GraphError, match="declares no outputs") as info:
        segkit.check(text)
    assert info.value.loc.line == line_of(text, "outputs:")


def test_output_forms():
    base = "a: {block: conv, out: 4}"
    assert list(segkit.check(spec(base, outputs="a")).outputs) == ["out"]
    assert list(segkit.check(spec(base, outputs="[a, x]")).outputs) == ["a", "x"]
    assert segkit.check(spec(base, outputs="{y: x}")).outputs == {"y": segkit.Shape(3, (256, 256))}


# -- blocks ----------------------------------------------------------------------------------

def test_unknown_block_suggests():
    text = spec("a: {block: convv, out: 4}")
    with pytest.raises(RegistryError, match="unknown block 'convv'") as info:
        segkit.check(text)
    assert (info.value.loc.line, info.value.loc.column) == pos_of(text, "block: convv")
    assert "did you mean 'conv'" in info.value.hint


def test_unknown_block_without_close_match_lists_plugins():
    with pytest.raises(RegistryError) as info:
        segkit.check(spec("a: {block: qqqqqqqq}"))
    assert "segkit blocks" in info.value.hint


def test_block_name_may_be_an_expression():
    report = segkit.check(spec("a: {block: \"${'max' + 'pool'}\"}"))
    assert report.graph.nodes["a"].op == "maxpool"


def test_arity_error_points_at_from():
    text = spec("a: {block: add, from: [x]}")
    with pytest.raises(SpecSchemaError, match="takes 2..N input") as info:
        segkit.check(text)
    assert info.value.loc.path == ("nodes", "a", "from")


# -- repeat / when -----------------------------------------------------------------------------

REPEAT = spec("""
c: {block: conv, out: '${4 + i}', kernel: '${[1, 3, 5][i]}', repeat: 3}
h: {block: conv, out: 2, kernel: 1}
""", outputs="{out: h}")


def test_repeat_chains_with_per_iteration_values():
    report = segkit.check(REPEAT)
    assert ids(report) == ["c.0", "c.1", "c.2", "h"]
    nodes = report.graph.nodes
    assert [nodes[f"c.{i}"].params.out for i in range(3)] == [4, 5, 6]
    assert [nodes[f"c.{i}"].params.kernel for i in range(3)] == [1, 3, 5]
    assert [str(nodes[f"c.{i}"].inputs[0]) for i in range(3)] == ["x", "c.0", "c.1"]
    assert str(nodes["h"].inputs[0]) == "c.2"
    assert [r.id for r in report.rows] == ["c", "h"]
    assert report["c"].params == (3 * 4 * 1 + 4) + (4 * 5 * 9 + 5) + (5 * 6 * 25 + 6)
    assert report["c"].receptive_field == "7"


def test_repeat_state_dict_keys():
    model = segkit.build(REPEAT, input="3x8x8")
    assert list(model.state_dict()) == ["c.0.weight", "c.0.bias", "c.1.weight", "c.1.bias",
                                        "c.2.weight", "c.2.bias", "h.weight", "h.bias"]
    assert tuple(model.state_dict()["c.2.weight"].shape) == (6, 5, 5, 5)


def test_repeat_of_composite_nests_ids():
    report = segkit.check(spec("a: {block: conv_bn_act, out: 4, repeat: 2}"))
    assert ids(report) == ["a.0.conv", "a.0.bn", "a.0.act", "a.1.conv", "a.1.bn", "a.1.act"]


def test_repeat_zero_and_when_false_pass_through():
    for key in ("repeat: 0", "when: false", "when: '${1 > 2}'"):
        report = segkit.check(spec("""
            a: {block: conv, out: 4}
            b: {block: conv, out: 9, %s}
            c: {block: conv, out: 5}
        """ % key, outputs="{out: c, skip: b}"))
        assert ids(report) == ["a", "c"], key
        assert str(report.graph.nodes["c"].inputs[0]) == "a", key
        assert report.outputs["skip"].channels == 4, key


def test_skipped_node_needs_one_input():
    text = spec("a: {block: add, from: [x, x], when: false}")
    with pytest.raises(SpecSchemaError, match="exactly one input") as info:
        segkit.check(text)
    assert info.value.loc.line == line_of(text, "a: {block")


def test_when_true_keeps_node():
    report = segkit.check(spec("a: {block: conv, out: 4, when: '${2 > 1}'}"))
    assert ids(report) == ["a"]


# -- channels() ----------------------------------------------------------------------------------

def test_channels_function():
    report = segkit.check(spec("""
        a: {block: conv, out: 6}
        b: {block: conv, out: "${channels('a') * 2 + channels('x')}"}
    """, outputs="{out: b}"))
    assert report.outputs["out"].channels == 15


def test_channels_of_later_node_and_named_output():
    report = segkit.check(spec("""
        b: {block: conv, from: x, out: "${channels('a') + channels('s.1')}"}
        a: {block: conv, from: x, out: 6}
        s: {block: split, from: a, sizes: [2, 4]}
    """, outputs="{out: b, a: a, s: s.0}"))
    assert report.outputs["out"].channels == 10


def test_channels_unknown_node_is_reference_error():
    text = spec("""
        a: {block: conv, out: 4}
        b: {block: conv, out: "${channels('q')}"}
    """, outputs="{out: b}")
    with pytest.raises(ReferenceError_, match="'q' names no node"):
        segkit.check(text)


def test_channels_unknown_node_is_located_at_the_caller():
    text = spec("""
        a: {block: conv, out: 4}
        b: {block: conv, out: "${channels('q')}"}
    """, outputs="{out: b}")
    with pytest.raises(ReferenceError_) as info:
        segkit.check(text)
    assert info.value.loc.line == line_of(text, "channels('q')")


# -- Ref params ------------------------------------------------------------------------------------

def test_resize_like_creates_dependency():
    report = segkit.check(spec("""
        a: {block: conv, out: 4, stride: 4}
        r: {block: resize, from: a, like: tgt}
        tgt: {block: conv, from: x, out: 2, stride: 2}
    """, outputs="{out: r}"))
    assert ids(report) == ["a", "tgt", "r"]
    assert [str(v) for v in report.graph.nodes["r"].inputs] == ["a", "tgt"]
    assert report.outputs["out"] == segkit.Shape(4, (128, 128))
    assert report.warnings == []


def test_crop_like_creates_dependency():
    report = segkit.check(spec("""
        big: {block: conv, out: 4}
        small: {block: conv, from: x, out: 4, padding: 0, kernel: 5}
        c: {block: crop, from: big, like: small}
        cat: {block: concat, from: [c, small]}
    """, outputs="{out: cat}"))
    assert [str(v) for v in report.graph.nodes["c"].inputs] == ["big", "small"]
    assert report.outputs["out"] == segkit.Shape(8, (252, 252))


def test_unpool_indices_depend_on_pool_and_its_input():
    report = segkit.check(spec("""
        pre: {block: conv, out: 4}
        p: {block: maxpool, return_indices: true}
        mid: {block: conv, out: 4}
        u: {block: unpool, indices: p}
    """, outputs="{out: u}"), input="3x9x9")
    assert [str(v) for v in report.graph.nodes["u"].inputs] == ["mid", "p.indices", "pre"]
    assert report.outputs["out"] == segkit.Shape(4, (9, 9))


def test_ref_param_dangling_is_located():
    text = spec("""
        a: {block: conv, out: 4}
        r: {block: resize, like: nowhere}
    """, outputs="{out: r}")
    with pytest.raises(ReferenceError_, match="'nowhere'") as info:
        segkit.check(text)
    assert (info.value.loc.line, info.value.loc.column) == pos_of(text, "like: nowhere")


def test_unpool_of_pool_without_indices():
    with pytest.raises(ReferenceError_, match="no output 'indices'"):
        segkit.check(spec("""
            p: {block: maxpool}
            u: {block: unpool, indices: p}
        """, outputs="{out: u}"))


# -- outputs of the compiled module ---------------------------------------------------------------

def test_one_output_gives_tensor_several_give_dict():
    import torch

    one = segkit.build(spec("a: {block: conv, out: 4}"), input="3x8x8")
    y = one(torch.zeros(2, 3, 8, 8))
    assert isinstance(y, torch.Tensor) and tuple(y.shape) == (2, 4, 8, 8)
    two = segkit.build(spec("""
        a: {block: conv, out: 4}
        b: {block: conv, from: x, out: 5, stride: 2}
    """, outputs="{main: a, aux: b}"), input="3x8x8")
    y = two(torch.zeros(2, 3, 8, 8))
    assert isinstance(y, dict) and list(y) == ["main", "aux"]
    assert tuple(y["main"].shape) == (2, 4, 8, 8) and tuple(y["aux"].shape) == (2, 5, 4, 4)


# -- composite blocks -------------------------------------------------------------------------------

BLOCK = """\
segkit: 1
name: myblock
params:
  width: 8
  k: 3
inputs:
  x: null
nodes:
  c1: {block: conv, from: x, out: "${width}", kernel: "${k}"}
  c2: {block: conv, out: "${width * 2}", kernel: 1}
outputs:
  out: c2
"""

TWO = """\
segkit: 1
name: two
inputs:
  a: null
  b: null
nodes:
  d: {block: conv, from: a, out: 2, stride: 2}
  s: {block: concat, from: [d, b]}
outputs:
  out: s
"""


@pytest.fixture
def blocks(tmp_path):
    write(tmp_path / "myblock.yaml", BLOCK)
    write(tmp_path / "two.yaml", TWO)
    return tmp_path


def test_composite_by_path_with_params(blocks):
    path = write(blocks / "outer.yaml", """\
        segkit: 1
        name: outer
        inputs: {img: 3}
        nodes:
          m: {block: ./myblock.yaml, width: 5}
          n: {block: myblock.yaml, k: 1}
        outputs: {out: n}
    """)
    report = segkit.check(path)
    assert ids(report) == ["m.c1", "m.c2", "n.c1", "n.c2"]
    nodes = report.graph.nodes
    assert nodes["m.c1"].params.out == 5 and nodes["m.c2"].params.out == 10
    assert nodes["n.c1"].params.kernel == 1 and nodes["n.c1"].params.out == 8
    assert [r.id for r in report.rows] == ["m", "n"]
    assert report["m"].block == "./myblock.yaml"
    assert report.outputs["out"].channels == 16
    assert nodes["m.c1"].group == "m" and nodes["m.c1"].trace[0].line == 5


def test_composite_params_may_be_expressions_of_caller_params(blocks):
    path = write(blocks / "outer.yaml", """\
        segkit: 1
        name: outer
        params: {w: 3}
        inputs: {img: 3}
        nodes:
          m: {block: ./myblock.yaml, width: "${w * 2}"}
        outputs: {out: m}
    """)
    assert segkit.check(path).outputs["out"].channels == 12
    assert segkit.check(path, w=1).outputs["out"].channels == 4


def test_composite_unknown_param_located_at_caller(blocks):
    path = write(blocks / "outer.yaml", """\
        segkit: 1
        name: outer
        inputs: {img: 3}
        nodes:
          m: {block: ./myblock.yaml, width: 6, widht: 3}
        outputs: {out: m}
    """)
    with pytest.raises(SpecSchemaError, match="has no param 'widht'") as info:
        segkit.check(path)
    err = info.value
    text = path.read_text()
    assert err.loc.file == str(path)
    assert (err.loc.line, err.loc.column) == pos_of(text, "widht")
    assert "did you mean 'width'" in err.hint


def test_composite_inputs_by_list_and_mapping(blocks):
    path = write(blocks / "outer.yaml", """\
        segkit: 1
        name: outer
        inputs: {img: 3}
        nodes:
          big: {block: conv, from: img, out: 4}
          small: {block: conv, from: img, out: 6, stride: 2}
          bylist: {block: ./two.yaml, from: [big, small]}
          bymap: {block: ./two.yaml, from: {b: small, a: big}}
        outputs: {l: bylist, m: bymap}
    """)
    report = segkit.check(path)
    for node in ("bylist", "bymap"):
        assert [str(v) for v in report.graph.nodes[f"{node}.d"].inputs] == ["big"]
        assert [str(v) for v in report.graph.nodes[f"{node}.s"].inputs] == [f"{node}.d", "small"]
    assert report.outputs["l"] == report.outputs["m"] == segkit.Shape(8, (128, 128))


def test_composite_input_binding_errors(blocks):
    body = """\
        segkit: 1
        name: outer
        inputs: {img: 3}
        nodes:
          m: {block: ./two.yaml, from: %s}
        outputs: {out: m}
    """
    path = write(blocks / "o1.yaml", body % "{a: img, c: img}")
    with pytest.raises(SpecSchemaError, match="has no input 'c'") as info:
        segkit.check(path)
    assert (info.value.loc.line, info.value.loc.column) == pos_of(path.read_text(), "c: img")
    path = write(blocks / "o2.yaml", body % "{a: img}")
    with pytest.raises(SpecSchemaError, match="needs input 'b'"):
        segkit.check(path)
    path = write(blocks / "o3.yaml", body % "[img]")
    with pytest.raises(SpecSchemaError, match="takes 2 input"):
        segkit.check(path)


def test_composite_declared_channels_checked(tmp_path):
    write(tmp_path / "rgb.yaml", """\
        segkit: 1
        name: rgb
        params: {c: 3}
        inputs: {x: "${c}"}
        nodes:
          y: {block: conv, out: 2}
        outputs: {out: y}
    """)
    path = write(tmp_path / "use.yaml", """\
        segkit: 1
        name: use
        inputs: {img: 4}
        nodes:
          m: {block: ./rgb.yaml}
          n: {block: ./rgb.yaml, from: img, c: 4}
        outputs: {out: m, n: n}
    """)
    with pytest.raises(SpecSchemaError, match="expects 3 channels on input 'x', got 4") as info:
        segkit.check(path)
    assert info.value.loc.line == 5


def test_nested_composite_error_has_called_from_notes(tmp_path):
    write(tmp_path / "bad.yaml", """\
        segkit: 1
        name: bad
        params: {width: 8}
        inputs: {x: null}
        nodes:
          c1: {block: conv, from: x, out: "${widht}"}
        outputs: {out: c1}
    """)
    write(tmp_path / "mid.yaml", """\
        segkit: 1
        name: mid
        inputs: {x: null}
        nodes:
          pre: {block: conv, out: 3}
          inner: {block: ./bad.yaml}
        outputs: {out: inner}
    """)
    top = write(tmp_path / "top.yaml", """\
        segkit: 1
        name: top
        inputs: {img: 3}
        nodes:
          pre: {block: conv, out: 4}
          m: {block: ./mid.yaml}
        outputs: {out: m}
    """)
    with pytest.raises(ExpressionError) as info:
        segkit.check(top)
    err = info.value
    assert err.loc.file == str(tmp_path / "bad.yaml") and err.loc.line == 6
    assert err.notes == [f"in block 'bad' called from {tmp_path / 'mid.yaml'}:6:3 (node 'm.inner')",
                         f"in block 'mid' called from {top}:6:3 (node 'm')"]
    text = err.format()
    assert f"{top}:6:3" in text and "did you mean 'width'" in text


def test_self_recursive_composite_is_graph_error(tmp_path):
    path = write(tmp_path / "rec.yaml", """\
        segkit: 1
        name: rec
        inputs: {x: null}
        nodes:
          m: {block: ./rec.yaml}
        outputs: {out: m}
    """)
    with pytest.raises(GraphError, match="nested too deeply"):
        segkit.check(f"segkit: 1\nname: r\ninputs: {{x: 3}}\nnodes:\n  m: {{block: {path}}}\noutputs: {{out: m}}\n")


def test_missing_block_file(tmp_path):
    path = write(tmp_path / "o.yaml", """\
        segkit: 1
        name: o
        inputs: {x: 3}
        nodes:
          m: {block: ./nothere.yaml}
        outputs: {out: m}
    """)
    with pytest.raises(ReferenceError_, match="not found") as info:
        segkit.check(path)
    assert info.value.loc.line == 5 and info.value.loc.path == ("nodes", "m", "block")


def test_registered_composite_block():
    report = segkit.check(spec("a: {block: conv_bn_act, out: 4, norm: none, act: none}"))
    assert ids(report) == ["a.conv"]
    assert report.graph.nodes["a.conv"].params.bias is True


# -- extends --------------------------------------------------------------------------------------

BASE = """\
segkit: 1
name: base
params:
  width: 8
  classes: 3
inputs:
  x: 3
nodes:
  a: {block: conv, out: "${width}"}
  b: {block: conv, out: "${width}", kernel: 5}
  c: {block: conv, out: "${classes}", kernel: 1}
outputs:
  out: c
"""


@pytest.fixture
def base(tmp_path):
    return write(tmp_path / "base.yaml", BASE)


def test_extends_overrides_params_and_nodes(base):
    child = write(base.parent / "child.yaml", """\
        segkit: 1
        name: child
        extends: base.yaml
        params:
          width: 16
        nodes:
          c: {kernel: 3}
    """)
    report = segkit.check(child)
    assert report.graph.name == "child"
    assert report.graph.params == {"width": 16, "classes": 3}
    nodes = report.graph.nodes
    assert nodes["a"].params.out == 16 and nodes["b"].params.kernel == 5
    assert nodes["c"].params.kernel == 3 and nodes["c"].params.out == 3


def test_extends_null_deletes_node_and_chain_reconnects(base):
    child = write(base.parent / "child.yaml", """\
        segkit: 1
        name: child
        extends: ./base.yaml
        nodes:
          b: null
    """)
    report = segkit.check(child)
    assert ids(report) == ["a", "c"]
    assert str(report.graph.nodes["c"].inputs[0]) == "a"


def test_extends_changing_block_replaces_node(base):
    child = write(base.parent / "child.yaml", """\
        segkit: 1
        name: child
        extends: ./base.yaml
        nodes:
          b: {block: maxpool}
    """)
    report = segkit.check(child)
    node = report.graph.nodes["b"]
    assert node.op == "maxpool" and node.params.kernel == 2
    assert report.outputs["out"].spatial == (128, 128)


def test_extends_same_block_merges_keys(base):
    child = write(base.parent / "child.yaml", """\
        segkit: 1
        name: child
        extends: ./base.yaml
        nodes:
          b: {block: conv, stride: 2}
    """)
    node = segkit.check(child).graph.nodes["b"]
    assert (node.params.kernel, node.params.stride) == (5, 2)


def test_extends_errors_located_in_the_right_file(base):
    child = write(base.parent / "child.yaml", """\
        segkit: 1
        name: child
        extends: ./base.yaml
        nodes:
          b: {stride: 2, kernal: 3}
    """)
    with pytest.raises(SpecSchemaError, match="unknown param 'kernal'") as info:
        segkit.check(child)
    assert info.value.loc.file == str(child)
    assert (info.value.loc.line, info.value.loc.column) == pos_of(child.read_text(), "kernal")
    child2 = write(base.parent / "child2.yaml", """\
        segkit: 1
        name: child2
        extends: ./base.yaml
        params: {classes: 0}
    """)
    with pytest.raises(SpecSchemaError, match="'out'") as info:
        segkit.check(child2)
    assert info.value.loc.file == str(base) and info.value.loc.line == 11


def test_extends_registered_spec():
    report = segkit.check("segkit: 1\nname: e\nextends: examples/fcn8s_tiny\nparams: {width: 4}\n")
    assert report.graph.name == "e" and report.graph.params["width"] == 4
    assert report.graph.nodes["fc6.conv"].params.out == 128


def test_extends_missing_file(base):
    child = write(base.parent / "child.yaml", "segkit: 1\nname: c\nextends: ./nothere.yaml\n")
    with pytest.raises(SpecSchemaError, match="cannot find the extended spec") as info:
        segkit.check(child)
    assert info.value.loc.line == 3 and info.value.loc.file == str(child)


def test_resolve_output_shows_origins(base):
    child = write(base.parent / "child.yaml", """\
        segkit: 1
        name: child
        extends: ./base.yaml
        params:
          width: 16
        nodes:
          b: null
          c: {kernel: 3}
    """)
    loaded = load_spec(child)
    text = render(loaded, evaluate_params(loaded, {"width": 2}))
    lines = text.splitlines()
    assert lines[0] == f"# child: extends {base}"
    assert f"  width: 2  # {child}:5 (from 16)" in lines
    assert f"  classes: 3  # {base}:5" in lines
    assert f"  x: 3  # {base}:7" in lines
    assert any(line.startswith("  a: ") and line.endswith(f"# {base}:9") for line in lines)
    assert any(line.startswith("  c: ") and "kernel: 3" in line and line.endswith(f"# {child}:8")
               for line in lines)
    assert not any(line.startswith("  b: ") for line in lines)
    assert f"  out: c  # {base}:13" in lines


def test_extends_itself_is_an_error(tmp_path):
    path = write(tmp_path / "self.yaml", "segkit: 1\nname: s\nextends: self.yaml\n")
    with pytest.raises(SegkitError):
        segkit.check(path)


def test_extends_cycle_is_an_error(tmp_path):
    write(tmp_path / "b.yaml", "segkit: 1\nname: b\nextends: a.yaml\n")
    path = write(tmp_path / "a.yaml", "segkit: 1\nname: a\nextends: b.yaml\n")
    with pytest.raises(SegkitError):
        segkit.check(path)


def test_extends_unknown_registered_name_is_located():
    text = "segkit: 1\nname: e\nextends: examples/fcn8s_tinyy\n"
    with pytest.raises(RegistryError) as info:
        segkit.check(text)
    assert info.value.loc.line == 3
    assert "did you mean 'examples/fcn8s_tiny'" in info.value.hint


def test_extends_unknown_registered_name_suggests():
    with pytest.raises(RegistryError, match="unknown spec 'examples/fcn8s_tinyy'") as info:
        segkit.check("segkit: 1\nname: e\nextends: examples/fcn8s_tinyy\n")
    assert "did you mean 'examples/fcn8s_tiny'" in info.value.hint


# -- huge repeat ------------------------------------------------------------------------------------

def test_huge_repeat_is_refused_quickly():
    from tests.lang._util import run_python

    text = spec("a: {block: identity, repeat: 1000000000}")
    code = ("import segkit\nfrom segkit.errors import SegkitError\n"
            f"try:\n    segkit.check({text!r})\nexcept SegkitError:\n    print('REFUSED')\n")
    try:
        result = run_python(code, timeout=4)
    except Exception as exc:
        pytest.fail(f"{type(exc).__name__}")
    assert result.stdout.strip() == "REFUSED"

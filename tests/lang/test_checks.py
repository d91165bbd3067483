"""``checks`` (segkit/lang/checks.py): a spec's conditions on its params, reported at the
caller's param line; ParamError from a Python block's ``infer`` located the same way;
and the checks the library's YAML blocks declare."""
from __future__ import annotations

import textwrap
import types

import pytest

import segkit
from segkit.core.block import Block, ParamError, Params
from segkit.core.shape import Inference, Shape
from segkit.errors import ExpressionError, SpecSchemaError
from segkit.plugins.hookspecs import hookimpl
from segkit.plugins.manager import get_plugin_manager
from segkit.plugins.registry import Registry
from tests.lang._util import line_of

STAGE = """\
segkit: 1
name: stage
params:
  blocks: 2
  reduction: 2
inputs: {x: null}
checks:
  - that: "${blocks >= 1}"
    param: blocks
    message: a stage needs at least one block
  - that: "${reduction <= channels('x')}"
    param: reduction
    message: "${reduction} leaves no channels of the ${channels('x')}"
nodes:
  c: {block: conv, from: x, out: 4, kernel: 1, repeat: "${blocks}"}
outputs: {out: c}
"""


def caller(tmp_path, node: str, inputs: str = "{image: 3}") -> str:
    (tmp_path / "stage.yaml").write_text(STAGE)
    text = f"segkit: 1\nname: use\ninputs: {inputs}\nnodes:\n  s: {node}\noutputs: {{out: s}}\n"
    (tmp_path / "use.yaml").write_text(text)
    return text


def test_a_failed_check_points_at_the_callers_param(tmp_path):
    text = caller(tmp_path, "{block: ./stage.yaml, from: image, blocks: 0}")
    with pytest.raises(SpecSchemaError) as info:
        segkit.check(tmp_path / "use.yaml")
    err = info.value
    assert err.message == "param 'blocks' of block 'stage': a stage needs at least one block"
    assert (err.loc.line, err.loc.column) == (line_of(text, "blocks: 0"), text.splitlines()[4].index("blocks") + 1)


def test_a_check_on_a_default_points_at_the_node_and_formats_its_message(tmp_path):
    caller(tmp_path, "{block: ./stage.yaml, from: image, reduction: 4}")
    with pytest.raises(SpecSchemaError, match=r"param 'reduction' of block 'stage': 4 leaves no channels of the 3"):
        segkit.check(tmp_path / "use.yaml")
    caller(tmp_path, "{block: ./stage.yaml, from: image}", inputs="{image: 1}")
    with pytest.raises(SpecSchemaError) as info:
        segkit.check(tmp_path / "use.yaml")
    assert "2 leaves no channels of the 1" in info.value.message and info.value.loc.line == 5


def test_passing_checks_build_as_before(tmp_path):
    caller(tmp_path, "{block: ./stage.yaml, from: image, blocks: 3}")
    assert len(segkit.check(tmp_path / "use.yaml").graph.nodes) == 3


TOP = """\
segkit: 1
name: top
params: {width: 8}
checks:
  - {that: "${width % 4 == 0}", param: width, message: "must be a multiple of 4"}
  - {that: "${channels('image') == 3}", message: "takes RGB images"}
inputs: {image: 3}
nodes:
  a: {block: conv, from: image, out: "${width}"}
outputs: {out: a}
"""


def test_checks_of_the_top_level_spec_see_overrides():
    assert segkit.check(TOP).params == 8 * 3 * 9 + 8
    with pytest.raises(SpecSchemaError) as info:
        segkit.check(TOP, width=6)
    assert info.value.message == "param 'width': must be a multiple of 4"
    assert info.value.loc.file == "--set"  # the value came from the override, not the file
    with pytest.raises(SpecSchemaError, match="takes RGB images"):
        segkit.check(TOP.replace("image: 3}", "image: 1}"))


def test_extending_specs_keep_the_base_checks_and_add_theirs(tmp_path):
    (tmp_path / "top.yaml").write_text(TOP)
    (tmp_path / "child.yaml").write_text(textwrap.dedent("""\
        segkit: 1
        name: child
        extends: top.yaml
        checks:
          - {that: "${width <= 16}", param: width, message: "at most 16"}
        """))
    assert segkit.check(tmp_path / "child.yaml", width=12).params > 0
    with pytest.raises(SpecSchemaError, match="multiple of 4"):
        segkit.check(tmp_path / "child.yaml", width=6)
    with pytest.raises(SpecSchemaError, match="at most 16"):
        segkit.check(tmp_path / "child.yaml", width=20)


@pytest.mark.parametrize("check, error, message", [
    ('{that: "${width}", message: m}', SpecSchemaError, "must be true or false"),
    ('{that: "${depth > 1}", message: m}', ExpressionError, "depth"),
    ('{that: "${True}", param: depth, message: m}', SpecSchemaError, "names param 'depth'"),
    ('{that: "${channels(\'rgb\') == 3}", message: m}', SpecSchemaError, "no input 'rgb'"),
    ('{that: "${True}", message: m, level: 1}', SpecSchemaError, "unknown key|extra"),
])
def test_malformed_checks_are_located_errors(check, error, message):
    text = TOP.replace('  - {that: "${width % 4 == 0}", param: width, message: "must be a multiple of 4"}',
                       f"  - {check}")
    with pytest.raises(error, match=message) as info:
        segkit.check(text)
    assert info.value.loc.line >= line_of(text, "checks:")


class PickParams(Params):
    index: int = 0
    """Which input channel to keep."""


class Pick(Block):
    """Keeps one channel; an index beyond the channels is the param's fault."""

    name = "pick"
    Params = PickParams

    def infer(self, p, x: Shape) -> Inference:
        if p.index >= x.channels:
            raise ParamError("index", f"{p.index} is beyond the {x.channels} channels")
        return Inference({"out": x.with_channels(1)})


def test_a_param_error_from_a_python_blocks_rule_points_at_the_param():
    plugins = get_plugin_manager(load_entry_points=False)
    plugins.manager.register(types.SimpleNamespace(segkit_register_blocks=hookimpl(lambda register: register(Pick))),
                             name="pick-plugin")
    registry = Registry.from_plugins(plugins)
    text = "segkit: 1\nname: t\ninputs: {x: 3}\nnodes:\n  a: {block: pick, from: x,\n      index: 5}\noutputs: {out: a}\n"
    with pytest.raises(SpecSchemaError) as info:
        segkit.check(text, registry=registry)
    assert info.value.message == "param 'index' of block 'pick': 5 is beyond the 3 channels"
    assert info.value.loc.line == 6


@pytest.mark.parametrize("node, message", [
    ("{block: resnet_stage, from: image, blocks: 0, planes: 4}", "param 'blocks' of block 'resnet_stage'"),
    ("{block: resnet_stage, from: image, multi_grid: [], planes: 4}", "param 'multi_grid' of block 'resnet_stage'"),
    ("{block: rcu, from: image, kernel: 4}", "param 'kernel' of block 'rcu': must be odd"),
    ("{block: resnet_basic, from: image, planes: 0}", "param 'planes' of block 'resnet_basic'"),
    ("{block: inverted_residual, from: image, expand: 0}", "param 'expand' of block 'inverted_residual'"),
    ("{block: transition_down, from: image, dropout: 1.5}", "param 'dropout' of block 'transition_down'"),
    ("{block: xception_exit, from: image, widths: [8, 8]}", "param 'widths' of block 'xception_exit'"),
    ("{block: mobilenetv3_se, from: image, reduction: 32}", "param 'reduction' of block 'mobilenetv3_se'"),
    ("{block: conv_bn_act, from: image, out: 40, norm: gn}", "param 'out' of block 'conv_bn_act': group norm"),
    ("{block: deeplabv3plus_decoder, from: [image, image], convs: -1}", "param 'convs' of block"),
])
def test_library_yaml_blocks_reject_bad_params_at_the_param(node, message):
    text = f"segkit: 1\nname: t\ninputs: {{image: 16}}\nnodes:\n  a: {node}\noutputs: {{out: a}}\n"
    with pytest.raises(SpecSchemaError) as info:
        segkit.check(text)
    assert info.value.message.startswith(message), info.value.message
    assert info.value.loc.line == 5

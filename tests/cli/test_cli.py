"""The command line: commands succeed on the shipped examples, and every user error is a
one-screen located message with exit status 2 and no traceback."""
import re
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from segkit.cli import main
from tests.lang._util import EXAMPLE_NAMES, EXAMPLES, REPO, line_of

GOOD = """\
segkit: 1
name: good
params:
  width: 4
inputs:
  x: 3
nodes:
  a: {block: conv, out: "${width}"}
  b: {block: conv, out: 2, kernel: 1}
outputs:
  out: b
"""


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def assert_user_error(result, prefix, *fragments):
    """Exit 2, stderr starting with ``prefix`` (a regex), nothing on stdout, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert re.match(prefix, result.stderr), result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    return result.stderr


# -- success -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_check_examples(path):
    result = run("check", path)
    assert result.exit_code == 0, result.output
    assert "accepted input sizes: H, W" in result.stdout
    assert "outputs: out:" in result.stdout
    assert "conv1" in result.stdout or "enc1" in result.stdout


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_check_examples_by_name(name):
    result = run("check", name)
    assert result.exit_code == 0, result.output
    assert "params:" in result.stdout


def test_check_expand_shows_inner_nodes():
    collapsed = run("check", "examples/segnet_tiny")
    expanded = run("check", "examples/segnet_tiny", "--expand")
    assert expanded.exit_code == 0
    assert "enc1.0.conv" in expanded.stdout and "enc1.1.bn" in expanded.stdout
    assert "enc1.0.conv" not in collapsed.stdout


def test_check_input_and_set(tmp_path):
    path = write(tmp_path, GOOD)
    result = run("check", path, "--input", "3x20x30", "--set", "width=7")
    assert result.exit_code == 0, result.output
    assert "x: 3x20x30" in result.stdout
    assert "7x20x30" in result.stdout
    assert "outputs: out: 2x20x30" in result.stdout
    params = 3 * 7 * 9 + 7 + 7 * 2 + 2
    assert f"params: {params:,}" in result.stdout


def test_check_set_expression_value(tmp_path):
    result = run("check", write(tmp_path, GOOD), "--set", "width=${2 * 5}")
    assert result.exit_code == 0, result.output
    assert "10x256x256" in result.stdout


def test_check_several_inputs(tmp_path):
    path = write(tmp_path, GOOD.replace("  x: 3", "  x: 3\n  y: 1").replace("{block: conv, out:", "{block: conv, from: x, out:", 1))
    result = run("check", path, "--input", "x=3x8x8", "--input", "y=1x8x8")
    assert result.exit_code == 0, result.output
    assert "2x8x8" in result.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_build_examples(path):
    result = run("build", path)
    assert result.exit_code == 0, result.output
    assert re.search(r"compiled: \w+ with [\d,]+ parameters", result.stdout)


def test_build_code_and_save(tmp_path):
    import torch

    import segkit

    out = tmp_path / "w" / "model.pt"
    result = run("build", "examples/unet_valid_tiny", "--input", "1x60x60", "--set", "width=4", "--code",
                 "--save", out)
    assert result.exit_code == 0, result.output
    assert "def forward(self, image)" in result.stdout
    assert "enc1_0_conv" in result.stdout
    assert f"saved {out}" in result.stdout
    saved = torch.load(out)
    assert saved["format"] == "segkit-weights-1" and saved["spec"] == "unet-valid-tiny"
    assert saved["params"]["width"] == 4
    model = segkit.build("examples/unet_valid_tiny", input="1x60x60", width=4)
    assert list(saved["state_dict"]) == list(model.state_dict())
    for key, tensor in model.state_dict().items():
        assert saved["state_dict"][key].shape == tensor.shape, key
    model.load_state_dict(saved["state_dict"])
    assert not list(tmp_path.glob("w/.*tmp"))


def test_merge_shows_origins(tmp_path):
    base = write(tmp_path, GOOD, "base.yaml")
    child = write(tmp_path, "segkit: 1\nname: child\nextends: base.yaml\nparams:\n  width: 9\n", "child.yaml")
    result = run("merge", child, "--set", "width=5")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"# child: extends {base}"
    assert f"  width: 5  # {child}:5 (from 9)" in lines
    assert any(line.startswith("  a: ") and line.endswith(f"# {base}:8") for line in lines)
    assert f"  out: b  # {base}:11" in lines


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_merge_examples(name):
    result = run("merge", name)
    assert result.exit_code == 0, result.output
    assert "nodes:" in result.stdout and ".yaml:" in result.stdout


def test_resolve_is_the_old_name_of_merge():
    result = run("resolve", EXAMPLE_NAMES[0])
    assert result.exit_code == 0, result.output
    assert result.stdout == run("merge", EXAMPLE_NAMES[0]).stdout
    assert "`segkit resolve` is now `segkit merge`" in result.stderr


def test_blocks_list_and_doc():
    result = run("blocks")
    assert result.exit_code == 0
    for name in ("conv", "maxpool", "unpool", "resize", "crop", "add", "concat", "conv_bn_act"):
        assert re.search(rf"│ {name}\s+│", result.stdout), name
    doc = run("blocks", "conv")
    assert doc.exit_code == 0 and "dilation" in doc.stdout and "required" in doc.stdout
    composite = run("blocks", "conv_bn_act")
    assert composite.exit_code == 0 and "norm" in composite.stdout


ISSUE_BLOCKS = [  # issue 3's registered names, in its order
    "rcu", "mrf", "crp", "refinenet", "aspp", "sepconv", "deeplabv3plus_decoder", "ppm", "context_encoding", "jpu",
    "esp", "cff", "enet_initial", "enet_bottleneck", "dense_block", "transition_down", "transition_up",
    "dense_aspp", "se",
    # the classic units used by backbones, as registered
    "vgg_stage", "resnet_basic", "resnet_bottleneck", "resnet_stage", "xception_entry", "xception_middle",
    "xception_exit", "inverted_residual", "densenet_layer",
]


def table_rows(text: str) -> dict[str, list[str]]:
    """A rich table's body as {first cell: [every cell, wrapped lines joined]}."""
    rows: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0]:
            current = rows[cells[0]] = cells
        elif current is not None:
            current[:] = [f"{a} {b}".strip() for a, b in zip(current, cells)]
    return rows


def test_blocks_lists_every_issue_block_with_its_params():
    from segkit.api import default_registry
    from segkit.views.tables import block_fields

    rows = table_rows(run("blocks").stdout)
    for name in ISSUE_BLOCKS:
        assert name in rows, f"`segkit blocks` does not list {name}"
        fields = block_fields(default_registry().block(name))
        assert fields, f"{name} has no params"
        want = ", ".join(field if default == "required" else f"{field}={default}" for field, _, default, _ in fields)
        assert rows[name][2] == " ".join(want.split()), name  # every param, in order, with its default
        assert rows[name][1] == "segkit", (name, rows[name][1])
    assert "dilation=1" in rows["conv"][2]  # atrous conv: an option of conv


def test_blocks_aspp_documents_every_param():
    from segkit.blocks.aspp import ASPPParams
    from segkit.core.field_docs import field_docs

    rows = table_rows(run("blocks", "aspp").stdout)
    assert list(rows) == list(ASPPParams.model_fields)
    for name, text in field_docs(ASPPParams).items():
        doc = " ".join(text.split())
        assert doc and rows[name][3] == doc, (name, rows[name][3])


def test_specs_lists_examples():
    result = run("specs")
    assert result.exit_code == 0
    for name in EXAMPLE_NAMES:
        assert name in result.stdout


# -- user errors ---------------------------------------------------------------------------------

def test_malformed_yaml(tmp_path):
    path = write(tmp_path, GOOD.replace("  b: {block: conv, out: 2, kernel: 1}", "  b: {block: conv, out: [2, kernel: 1}"))
    assert_user_error(run("check", path), rf"{re.escape(str(path))}:9:\d+: error: malformed YAML")


def test_unknown_block(tmp_path):
    path = write(tmp_path, GOOD.replace("block: conv, out: 2", "block: convv, out: 2"))
    assert_user_error(run("check", path), rf"{re.escape(str(path))}:9:7: error: unknown block 'convv'",
                      "did you mean 'conv'")


def test_unknown_block_param(tmp_path):
    path = write(tmp_path, GOOD.replace("kernel: 1", "kernle: 1"))
    assert_user_error(run("check", path), rf"{re.escape(str(path))}:9:\d+: error: unknown param 'kernle'",
                      "did you mean 'kernel'")


def test_unknown_set_param(tmp_path):
    assert_user_error(run("check", write(tmp_path, GOOD), "--set", "widht=3"),
                      r"--set: error: 'good' has no param 'widht'", "did you mean 'width'")


def test_wrong_type(tmp_path):
    path = write(tmp_path, GOOD.replace("kernel: 1", "kernel: wide"))
    assert_user_error(run("check", path), rf"{re.escape(str(path))}:9:\d+: error: param 'kernel' of block 'conv'")


def test_wrong_type_from_set(tmp_path):
    path = write(tmp_path, GOOD)
    assert_user_error(run("check", path, "--set", "width=[1, 2]"),
                      rf"{re.escape(str(path))}:8:\d+: error: param 'out' of block 'conv'")


def test_bad_expression(tmp_path):
    path = write(tmp_path, GOOD.replace("${width}", "${width *}"))
    assert_user_error(run("check", path), rf"{re.escape(str(path))}:8:\d+: error: in \$\{{width \*\}}: invalid syntax")
    path = write(tmp_path, GOOD.replace("${width}", "${widht}"), "b.yaml")
    assert_user_error(run("check", path), rf"{re.escape(str(path))}:8:\d+: error: in \$\{{widht\}}: unknown name",
                      "did you mean 'width'")


def test_cycle(tmp_path):
    path = write(tmp_path, GOOD.replace("{block: conv, out: \"${width}\"}", "{block: conv, from: b, out: 3}"))
    assert_user_error(run("check", path), rf"{re.escape(str(path))}:8:3: error: cycle: a -> b -> a")


def test_dangling_from(tmp_path):
    path = write(tmp_path, GOOD.replace("kernel: 1}", "kernel: 1, from: aa}"))
    assert_user_error(run("check", path), rf"{re.escape(str(path))}:9:\d+: error: 'aa' names no node or input",
                      "did you mean 'a'")


def test_shape_mismatch_message():
    path = REPO / "specs" / "examples" / "fcn8s_tiny.yaml"
    line = line_of(path.read_text(), "fuse8:")
    stderr = assert_user_error(run("check", "examples/fcn8s_tiny", "--input", "3x40x40"),
                               rf".*fcn8s_tiny\.yaml:{line}:3: error: node 'fuse8' \(add\): spatial sizes differ")
    assert "'up16' gives 21x4x4 but 'score8' gives 21x5x5 for input 3x40x40" in stderr
    assert "hint: this spec accepts H, W = 0..7 (mod 32), >= 32; try --input 3x39x39" in stderr


def test_too_small_input():
    stderr = assert_user_error(run("check", "examples/unet_valid_tiny", "--input", "1x40x40"),
                               r".*unet_valid_tiny\.yaml:\d+:\d+: error: node '[\w.]+' \(conv\): input .* is too small")
    # the error is at the user's node; where inside the library block it failed is a note
    assert "inside block 'conv_bn_act' at" in stderr and "conv_bn_act.yaml:" in stderr
    assert "try --input 1x44x44" in stderr


def test_python_tag(tmp_path):
    path = write(tmp_path, GOOD.replace("  width: 4", "  width: !!python/object:os.system {}"))
    assert_user_error(run("check", path), rf"{re.escape(str(path))}:4:10: error: tag !!python/object:os.system")


def test_nonexistent_file(tmp_path):
    missing = tmp_path / "missing.yaml"
    assert_user_error(run("check", missing), rf"{re.escape(str(missing))}(:\d+:\d+)?: error: cannot read spec")


def test_unknown_spec_name():
    assert_user_error(run("check", "examples/fcn8s_tinyy"), r"examples/fcn8s_tinyy(:\d+:\d+)?: error: unknown spec",
                      "did you mean 'examples/fcn8s_tiny'")


@pytest.mark.parametrize("item", ["width", "=3", "a b=3", "1x=2"])
def test_bad_set_syntax(tmp_path, item):
    assert_user_error(run("check", write(tmp_path, GOOD), "--set", item), r"--set: error: --set takes name=value")


def test_bad_set_value_yaml(tmp_path):
    assert_user_error(run("check", write(tmp_path, GOOD), "--set", "width={a: ["),
                      r"--set width:\d+:\d+: error: malformed YAML")
    assert_user_error(run("check", write(tmp_path, GOOD), "--set", "width=!!python/name:os.system ''"),
                      r"--set width:1:1: error: tag !!python/name")


@pytest.mark.parametrize("value,match", [("3x", "CxHxW"), ("abc", "CxHxW"), ("3x0x4", "positive"),
                                         ("3x-4x4", "CxHxW")])
def test_bad_input_syntax(tmp_path, value, match):
    assert_user_error(run("check", write(tmp_path, GOOD), "--input", value), r"--input: error: ", match)


def test_input_errors_against_the_spec(tmp_path):
    path = write(tmp_path, GOOD)
    assert_user_error(run("check", path, "--input", "4x8x8"), rf"{re.escape(str(path))}:6:3: error: input 'x' has 3 channels",
                      "use --input 3x8x8")
    assert_user_error(run("check", path, "--input", "3x8"), rf"{re.escape(str(path))}:6:3: error: input 'x' has 2 spatial dims",
                      "use --input 3x8x8")
    # the rank is checked first, so a size without its channels gets a hint that works
    assert_user_error(run("check", path, "--input", "8x8"),
                      rf"{re.escape(str(path))}:6:3: error: input 'x' has 2 spatial dims", "use --input 3x8x8")
    assert_user_error(run("check", path, "--input", "x=3x8x8", "--input", "z=3x8x8"),
                      rf"{re.escape(str(path))}:\d+:\d+: error: spec 'good' has no input 'z'")
    assert_user_error(run("check", path, "--input", "3x8x8", "--input", "3x8x8"), r"--input: error: with several --input")


def test_errors_of_other_commands(tmp_path):
    bad = write(tmp_path, GOOD.replace("block: conv, out: 2", "block: convv, out: 2"))
    assert_user_error(run("build", bad), rf"{re.escape(str(bad))}:9:7: error: unknown block")
    assert_user_error(run("merge", write(tmp_path, GOOD, "g.yaml"), "--set", "nope=1"), r"--set: error:")
    assert_user_error(run("blocks", "convv"), r"<command line>: error: unknown block 'convv'", "did you mean 'conv'")


def test_debug_adds_the_traceback_and_keeps_exit_status_2(tmp_path):
    result = run("check", write(tmp_path, GOOD), "--set", "nope=1", "--debug")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "SpecSchemaError" in result.stderr
    assert "--set: error:" in result.stderr


def test_internal_error_is_one_line_not_a_traceback(tmp_path):
    # '~' is a known evaluator defect (KeyError); the CLI must still not dump a traceback
    path = write(tmp_path, GOOD.replace("${width}", "${~width}"))
    result = run("check", path)
    assert result.exit_code in (1, 2)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert result.stderr.startswith("internal error: ") and "--debug" in result.stderr


# -- real processes --------------------------------------------------------------------------------

def _segkit(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "segkit", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout)


def test_subprocess_check_success():
    result = _segkit("check", "examples/fcn8s_tiny", "--input", "3x64x64")
    assert result.returncode == 0, result.stderr
    assert "accepted input sizes: H, W = 0..7 (mod 32), >= 32" in result.stdout
    assert "outputs: out: 21x64x64" in result.stdout


def test_subprocess_user_error(tmp_path):
    path = write(tmp_path, GOOD.replace("out: 2,", "out: -2,"))
    result = _segkit("check", path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{path}:9:")
    assert ": error: param 'out' of block 'conv'" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_subprocess_build_with_save(tmp_path):
    out = tmp_path / "m.pt"
    result = _segkit("build", "examples/segnet_tiny", "--input", "3x17x17", "--set", "width=4", "--save", out)
    assert result.returncode == 0, result.stderr
    assert out.is_file() and f"saved {out}" in result.stdout

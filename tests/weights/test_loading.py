"""segkit.load_weights, the LoadReport, the built-in and plugin weight formats, and
``segkit build --weights`` (no torchvision needed)."""
from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import segkit
from segkit.cli import main
from segkit.errors import InputError
from segkit.plugins.hookspecs import hookimpl
from segkit.plugins.manager import get_plugin_manager
from segkit.plugins.registry import Registry
from segkit.weights.checkpoint import save_module
from segkit.weights.formats import Converted

ROOT = Path(__file__).resolve().parents[2]
SMALL = """
segkit: 1
name: small
params: {classes: 3}
inputs: {x: 3}
nodes:
  a: {block: conv, out: 4}
  b: {block: bn}
  c: {block: conv, out: "${classes}", kernel: 1}
outputs: {out: c}
"""
OTHER = SMALL.replace("name: small", "name: other").replace("out: 4}", "out: 6}")
TINY_RESNET = """
segkit: 1
name: tiny-resnet
inputs: {image: 3}
nodes:
  enc: {block: resnet, depth: %d, width: 4, layers: [1, 1, 1, 1], stem: %s}
outputs: {c5: enc.c5}
"""


def small_model(**params):
    return segkit.build(SMALL, **params)


def write_spec(tmp_path, text=SMALL, name="small.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def randomized(model):
    with torch.no_grad():
        for key, value in model.state_dict().items():
            if value.is_floating_point():
                value.copy_(torch.rand_like(value) + 0.5 if key.endswith("running_var") else torch.randn_like(value))
    return model


# --- the LoadReport -----------------------------------------------------------------------


def test_load_report_names_missing_unexpected_and_mismatched_keys():
    source = randomized(small_model()).state_dict()
    state = dict(source)
    del state["b.running_var"]
    state["extra.weight"] = torch.zeros(2)
    state["c.weight"] = torch.zeros(5, 4, 1, 1)
    model = small_model()
    report = segkit.load_weights(model, state, strict=False)
    assert report.missing == ["b.running_var"]
    assert report.unexpected == ["extra.weight"]
    assert report.mismatched == [("c.weight", (5, 4, 1, 1), (3, 4, 1, 1))]
    assert report.mapped == len(source) - 2 and not report.ok
    assert torch.equal(model.a.weight, source["a.weight"])  # what fits is loaded
    summary = report.summary()
    assert "1 missing, 1 unexpected, 1 wrong shape" in summary
    assert "b.running_var" in summary and "extra.weight" in summary and "5x4x1x1 in the file" in summary


def test_a_fitting_state_dict_loads_exactly():
    source = randomized(small_model())
    model = small_model()
    report = segkit.load_weights(model, source.state_dict())
    assert report.ok and report.mapped == len(source.state_dict()) and report.format == "segkit"
    x = torch.randn(1, 3, 8, 8)
    assert torch.equal(model.eval()(x), source.eval()(x))
    assert segkit.load_weights(small_model(), source).ok  # a module works as the source too


def test_strict_errors_are_input_errors_naming_the_file_and_load_nothing(tmp_path):
    path = tmp_path / "w.pt"
    state = randomized(small_model(classes=5)).state_dict()
    torch.save(state, path)
    model = small_model()
    before = model.a.weight.clone()
    with pytest.raises(InputError) as info:
        segkit.load_weights(model, path)
    error = info.value
    assert error.loc.file == str(path)
    assert error.format().startswith(f"{path}: error: weights do not fit this model")
    assert "c.weight 5x4x1x1 in the file vs 3x4x1x1 in the model" in error.message
    assert "num_classes" in error.hint
    assert torch.equal(model.a.weight, before)


def test_first_few_offending_keys_are_named_and_the_rest_counted():
    state = {f"junk{k}.weight": torch.zeros(1) for k in range(6)}
    state.update(small_model().state_dict())
    with pytest.raises(InputError) as info:
        segkit.load_weights(small_model(), state)
    assert "6 unexpected: junk0.weight, junk1.weight, junk2.weight (+3 more)" in info.value.message
    assert info.value.loc.file == "<state_dict>"


@pytest.mark.parametrize("kind", ["missing", "directory", "corrupt", "list", "no tensors", "foreign"])
def test_bad_files_are_located_input_errors(tmp_path, kind):
    path = tmp_path / "weights.pt"
    if kind == "directory":
        path.mkdir()
    elif kind == "corrupt":
        torch.save(small_model().state_dict(), path)
        path.write_bytes(path.read_bytes()[:100])
    elif kind == "list":
        torch.save([torch.zeros(1)], path)
    elif kind == "no tensors":
        torch.save({"epoch": 3, "note": "hello"}, path)
    elif kind == "foreign":
        torch.save({"conv9.weight": torch.zeros(1)}, path)
    with pytest.raises(InputError) as info:
        segkit.load_weights(small_model(), path, strict=False)
    assert info.value.loc.file == str(path)


def test_segkit_checkpoints_are_unwrapped_and_name_their_spec(tmp_path):
    source = randomized(small_model())
    path = tmp_path / "ckpt.pt"
    save_module(source, path, spec=segkit.load_spec(SMALL), params={"classes": 3})
    report = segkit.load_weights(small_model(), path)
    assert report.ok and report.spec == "small"
    wrong = segkit.build(OTHER)
    with pytest.raises(InputError) as info:
        segkit.load_weights(wrong, path)
    assert "written for spec 'small'" in info.value.hint


def test_ignore_patterns_skip_source_keys():
    state = dict(small_model().state_dict())
    state["fc.weight"] = torch.zeros(10, 4)
    report = segkit.load_weights(small_model(), state, ignore=["fc.*"])
    assert report.ok and report.skipped == ["fc.weight"]


# --- built-in formats ----------------------------------------------------------------------


def resnet_as(model, style: str) -> dict:
    """A tiny segkit resnet's state dict with torchvision's / timm's key names (no
    ``enc.`` prefix, downsample.0/.1, a classifier ``fc``; timm's deep stem)."""
    deep = {"conv1.": "conv1.0.", "bn1.": "conv1.1.", "conv2.": "conv1.3.", "bn2.": "conv1.4.",
            "conv3.": "conv1.6.", "bn3.": "bn1."}
    out = {}
    for key, value in model.state_dict().items():
        key = key[len("enc."):].replace("downsample.conv.", "downsample.0.").replace("downsample.bn.", "downsample.1.")
        if style == "timm-deep":
            key = next((deep[p] + key[len(p):] for p in deep if key.startswith(p)), key)
        out[key] = value
    out["fc.weight"], out["fc.bias"] = torch.zeros(1000, 8), torch.zeros(1000)
    return out


@pytest.mark.parametrize("fmt, depth, stem", [("torchvision", 18, "standard"), ("torchvision", 50, "standard"),
                                              ("timm", 50, "standard"), ("timm", 50, "deep")])
def test_torchvision_and_timm_resnet_keys_map_onto_the_resnet_block(fmt, depth, stem):
    source = randomized(segkit.build(TINY_RESNET % (depth, stem)))
    state = resnet_as(source, "timm-deep" if stem == "deep" else fmt)
    assert "layer2.0.downsample.0.weight" in state
    model = segkit.build(TINY_RESNET % (depth, stem))
    report = segkit.load_weights(model, state, format=fmt)
    assert report.ok and report.mapped == len(state) - 2, report.summary()
    assert sorted(report.skipped) == ["fc.bias", "fc.weight"]
    x = torch.randn(1, 3, 32, 32)
    assert torch.equal(model.eval()(x), source.eval()(x))


def test_the_error_suggests_a_format_that_fits_better():
    state = resnet_as(segkit.build(TINY_RESNET % (18, "standard")), "torchvision")
    with pytest.raises(InputError) as info:
        segkit.load_weights(segkit.build(TINY_RESNET % (18, "standard")), state)
    assert "format torchvision fits more of the keys" in info.value.hint


def test_data_parallel_prefix_is_dropped():
    source = randomized(segkit.build(TINY_RESNET % (18, "standard")))
    state = {f"module.{k}": v for k, v in resnet_as(source, "torchvision").items()}
    report = segkit.load_weights(segkit.build(TINY_RESNET % (18, "standard")), state, format="torchvision")
    assert report.ok and report.mapped == len(state) - 2


# --- plugin formats ------------------------------------------------------------------------


class Prefixed:
    """A map_key format: keys saved under ``net.``; ``aux.`` keys are dropped."""

    name = "prefixed"

    def map_key(self, key):
        if key.startswith("aux."):
            return None
        return key[len("net."):] if key.startswith("net.") else key


class Doubled:
    """A convert format that rescales values and says what it skipped."""

    name = "doubled"

    def convert(self, state_dict, model_keys):
        assert all(isinstance(shape, tuple) for shape in model_keys.values())
        return Converted({k: v * 2 for k, v in state_dict.items() if k in model_keys},
                         skipped=[k for k in state_dict if k not in model_keys])


def registry_with_formats(*formats) -> Registry:
    def register_formats(register):
        for fmt in formats:
            register(fmt)

    plugins = get_plugin_manager(load_entry_points=False)
    plugins.manager.register(types.SimpleNamespace(segkit_register_weight_formats=hookimpl(register_formats)),
                             name="test-formats")
    plugins.dists["test-formats"] = "segkit-test-formats"
    return Registry.from_plugins(plugins)


def test_builtin_formats_are_registered_through_the_hook():
    registry = Registry.from_plugins(get_plugin_manager(load_entry_points=False))
    table = registry.tables["weight_format"]
    assert {"segkit", "torchvision", "timm"} <= set(table)
    assert table["torchvision"].plugin == "segkit.weights.plugin" and table["torchvision"].dist == "segkit"


def test_a_plugin_registers_a_weight_format():
    registry = registry_with_formats(Prefixed(), Doubled())
    source = randomized(small_model()).state_dict()
    state = {f"net.{k}": v for k, v in source.items()}
    state["aux.weight"] = torch.zeros(1)
    model = small_model()
    report = segkit.load_weights(model, state, format="prefixed", registry=registry)
    assert report.ok and report.format == "prefixed" and report.skipped == ["aux.weight"]
    assert torch.equal(model.a.weight, source["a.weight"])
    report = segkit.load_weights(model, {**source, "x.y": torch.zeros(1)}, format="doubled", registry=registry)
    assert report.ok and report.skipped == ["x.y"]
    assert torch.equal(model.a.weight, 2 * source["a.weight"])
    assert registry.tables["weight_format"]["prefixed"].dist == "segkit-test-formats"


def test_unknown_format_and_clashing_keys_are_reported():
    registry = registry_with_formats(Prefixed())
    with pytest.raises(segkit.SegkitError) as info:
        segkit.load_weights(small_model(), {}, format="prefixd", registry=registry)
    assert "unknown weight_format 'prefixd'" in info.value.message and "prefixed" in info.value.hint
    state = dict(small_model().state_dict())
    state["net.a.weight"] = state["a.weight"]
    report = segkit.load_weights(small_model(), state, format=Prefixed(), strict=False)
    assert report.unexpected == ["net.a.weight (renamed to a.weight, which a.weight already gives)"]


def test_weights_module_does_not_import_torch():
    code = ("import sys, segkit.weights.loading, segkit.weights.formats\n"
            "from segkit.api import default_registry\n"
            "default_registry().get('weight_format', 'torchvision')\n"
            "assert 'torch' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --- segkit build --weights ------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_user_error(result, path, *fragments):
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.stderr.startswith(f"{path}: error: "), result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_build_with_weights_prints_the_report_and_saves_converted_weights(tmp_path):
    spec = write_spec(tmp_path)
    weights = tmp_path / "w.pt"
    source = randomized(small_model())
    save_module(source, weights, spec=segkit.load_spec(SMALL))
    result = run("build", spec, "--weights", weights)
    assert result.exit_code == 0, result.output
    assert f"loaded {len(source.state_dict())} tensors from {weights} (format segkit): 0 missing, 0 unexpected, 0 wrong shape" \
        in result.stdout
    # torchvision-style keys in, segkit checkpoint out
    resnet = write_spec(tmp_path, TINY_RESNET % (18, "standard"), "resnet.yaml")
    tv_file, converted = tmp_path / "tv.pth", tmp_path / "converted.pt"
    torch.save(resnet_as(segkit.build(resnet), "torchvision"), tv_file)
    result = run("build", resnet, "--weights", tv_file, "--weights-format", "torchvision", "--save", converted)
    assert result.exit_code == 0, result.output
    assert "2 skipped" in result.stdout
    assert segkit.load_weights(segkit.build(resnet), converted).ok


WITH_AUX = """
segkit: 1
name: with-aux
inputs: {x: 3}
nodes:
  a: {block: conv, out: 4}
  c: {block: conv, out: 3, kernel: 1}
  aux_classifier: {block: conv, from: a, out: 3, kernel: 1}
outputs:
  out: c
  aux: {from: aux_classifier, train: true}
"""


def test_build_inference_skips_the_weights_of_training_only_heads(tmp_path):
    spec = write_spec(tmp_path, WITH_AUX, "aux.yaml")
    weights = tmp_path / "trained.pt"
    save_module(segkit.build(spec), weights, spec=segkit.load_spec(spec))
    result = run("build", spec, "--inference", "--weights", weights)
    assert result.exit_code == 0, result.output
    assert "0 missing, 0 unexpected, 0 wrong shape, 2 skipped" in result.stdout


@pytest.mark.parametrize("kind", ["missing", "corrupt", "wrong spec"])
def test_build_with_bad_weights_is_a_located_error(tmp_path, kind):
    spec = write_spec(tmp_path)
    weights = tmp_path / "w.pt"
    fragment = {"missing": "does not exist", "corrupt": "cannot read weights",
                "wrong spec": "weights do not fit this model"}[kind]
    if kind == "corrupt":
        weights.write_bytes(b"not a checkpoint at all")
    elif kind == "wrong spec":
        save_module(segkit.build(OTHER), weights, spec=segkit.load_spec(OTHER))
    result = run("build", spec, "--weights", weights)
    assert_user_error(result, weights, fragment)
    if kind == "wrong spec":
        assert "written for spec 'other'" in result.stderr


def test_build_with_an_unknown_weights_format_is_a_located_error(tmp_path):
    spec = write_spec(tmp_path)
    weights = tmp_path / "w.pt"
    torch.save(small_model().state_dict(), weights)
    result = run("build", spec, "--weights", weights, "--weights-format", "torchvison")
    assert_user_error(result, "--weights-format", "unknown weight_format 'torchvison'", "torchvision")

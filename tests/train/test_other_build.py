"""eval/predict refuse a checkpoint of another build of the spec, as resume does, naming
the nodes that differ; --allow-other-build loads it anyway when the weights fit."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from segkit.cli import main
from segkit.testing import make_registry
from tests.train.conftest import TINY, TINY_SPEC

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def registry():
    return make_registry()


def edited_spec(tmp_path) -> Path:
    """The tiny spec with an identity node added before the classifier: same weights,
    another graph."""
    text = (ROOT / TINY_SPEC).read_text()
    anchor = "  classifier: {block: conv,"
    assert anchor in text
    path = tmp_path / "unet_small.yaml"
    path.write_text(text.replace(anchor, "  extra: {block: identity}\n" + anchor))
    return path


def run(registry, *args):
    result = CliRunner().invoke(main, [str(a) for a in args], obj={"registry": registry})
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


def test_eval_refuses_an_edited_spec_naming_the_nodes(registry, trained, tmp_path):
    spec = edited_spec(tmp_path)
    result = run(registry, "eval", spec, *TINY[:2], "--weights", trained, *TINY[2:8])
    assert result.exit_code == 2, result.output
    assert f"{trained}: error: checkpoint was written for a different build of spec 'unet-small' (" in result.output
    assert "nodes changed: classifier; new: extra)" in result.output
    assert "--allow-other-build" in result.output


def test_allow_other_build_evaluates_anyway(registry, trained, tmp_path):
    spec = edited_spec(tmp_path)
    result = run(registry, "eval", spec, *TINY[:2], "--weights", trained, *TINY[2:8], "--allow-other-build")
    assert result.exit_code == 0, result.output
    assert "mIoU" in result.output


def test_predict_refuses_an_edited_spec(registry, trained, tmp_path):
    from PIL import Image

    image = tmp_path / "a.png"
    Image.new("RGB", (32, 32)).save(image)
    spec = edited_spec(tmp_path)
    args = ["predict", spec, image, *TINY[:2], "--weights", trained, "--out", tmp_path / "out"]
    result = run(registry, *args)
    assert result.exit_code == 2 and "different build" in result.output, result.output
    result = run(registry, *args, "--allow-other-build")
    assert result.exit_code == 0, result.output


def test_the_same_build_evaluates(registry, trained):
    result = run(registry, "eval", TINY_SPEC, *TINY[:2], "--weights", trained, *TINY[2:8])
    assert result.exit_code == 0, result.output

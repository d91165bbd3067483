"""``segkit predict --postprocess crf`` and ``segkit eval --postprocess crf`` end to end:
a tiny checkpoint whose noisy logits the CRF cleans up, on a two-region scene."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import segkit
from segkit.cli import main
from segkit.data.transforms import IMAGENET_MEAN, IMAGENET_STD
from segkit.weights.checkpoint import save_module

H, W = 32, 48
SPEC = """\
segkit: 1
name: noisy-two-class
inputs:
  image: 3
nodes:
  logits: {block: conv, from: image, out: 2, kernel: 1}
outputs: {out: logits}
"""
RED, BLUE = 4.0, 120.0
"""Class-1 logit (class 0's is 0): RED * (R - 0.5) + BLUE * (B - 128/255), with R, B the
image's red and blue in [0, 1]. Red separates the halves by a margin of +-0.86; blue
carries +-3/255 of noise, up to +-1.4 in the logit, so hundreds of pixels flip."""


def scene(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(RGB uint8 image, ground-truth labels): left half class 0, right half class 1."""
    rng = np.random.default_rng(seed)
    truth = np.zeros((H, W), np.uint8)
    truth[:, W // 2:] = 1
    rgb = np.empty((H, W, 3), np.uint8)
    rgb[..., 0] = np.where(truth == 1, 180, 70)
    rgb[..., 1] = 120
    rgb[..., 2] = 128 + rng.integers(-3, 4, (H, W))
    return rgb, truth


def noisy_model():
    """The spec with weights giving the logits above on ImageNet-normalised input (what
    predict/eval feed a checkpoint without dataset statistics)."""
    model = segkit.build(SPEC, input=f"3x{H}x{W}")
    mean, std = IMAGENET_MEAN, IMAGENET_STD
    with torch.no_grad():
        model.logits.weight.zero_()
        model.logits.bias.zero_()
        model.logits.weight[1, 0, 0, 0] = RED * std[0]
        model.logits.weight[1, 2, 0, 0] = BLUE * std[2]
        model.logits.bias[1] = RED * (mean[0] - 0.5) + BLUE * (mean[2] - 128 / 255)
    return model


@pytest.fixture
def files(tmp_path, registry):
    """spec, checkpoint, the scene as PNG, and a folder dataset holding it as its val split."""
    spec = tmp_path / "noisy.yaml"
    spec.write_text(SPEC)
    weights = tmp_path / "noisy.pt"
    save_module(noisy_model(), weights, segkit.load_spec(SPEC))
    rgb, truth = scene()
    data = tmp_path / "data"
    for sub in ("images/val", "masks/val"):
        (data / sub).mkdir(parents=True)
    Image.fromarray(rgb).save(data / "images/val/scene.png")
    Image.fromarray(truth, mode="L").save(data / "masks/val/scene.png")
    (data / "classes.txt").write_text("left\nright\n")
    return {"spec": spec, "weights": weights, "image": data / "images/val/scene.png", "data": data,
            "truth": truth, "tmp": tmp_path, "registry": registry}


def run(files, *args):
    """``segkit ARGS`` with the plugin's registry in the click context, installed or not."""
    result = CliRunner().invoke(main, [str(a) for a in args], obj={"registry": files["registry"]})
    assert "Traceback" not in result.output, result.output
    return result


def predicted(files, name, *options) -> np.ndarray:
    out = files["tmp"] / name
    result = run(files, "predict", files["spec"], files["image"], "--weights", files["weights"], "--out", out, *options)
    assert result.exit_code == 0, result.output
    with Image.open(out / "scene_mask.png") as mask:
        assert mask.mode == "P" and mask.size == (W, H)
        return np.array(mask)


def test_predict_postprocess_crf_cleans_the_mask(files):
    truth = files["truth"]
    plain = predicted(files, "plain")
    assert (plain != truth).sum() > 100  # the logits alone are noisy
    refined = predicted(files, "crf", "--postprocess", "crf")
    assert np.array_equal(refined, truth)
    # options reach the post-processor: no mean-field iteration leaves the argmax as it was
    assert np.array_equal(predicted(files, "zero", "--postprocess", "crf:iterations=0"), plain)
    # under test-time augmentation the CRF refines the averaged probabilities
    assert np.array_equal(predicted(files, "tta", "--postprocess", "crf", "--flip"), truth)


def test_eval_postprocess_crf_raises_the_miou(files):
    scores = {}
    for label, options in (("plain", []), ("crf", ["--postprocess", "crf:theta_alpha=60"])):
        report = files["tmp"] / f"{label}.json"
        result = run(files, "eval", files["spec"], "--weights", files["weights"], "--data", f"folder:{files['data']}",
                     *options, "--json", report)
        assert result.exit_code == 0, result.output
        scores[label] = json.loads(report.read_text())
    assert scores["plain"]["miou"] < 0.8 and scores["plain"]["postprocess"] is None
    assert scores["crf"]["miou"] == 1.0 and scores["crf"]["postprocess"] == "crf:theta_alpha=60"


@pytest.mark.parametrize("value,message", [
    ("crff", "--postprocess: error: unknown postprocessor 'crff'"),
    ("crff", "did you mean 'crf'?"),
    ("crf:iterationz=3", "--postprocess crf: error: post-processor 'crf' rejects its options"),
    ("crf:iterations", "--postprocess: error: --postprocess takes NAME[:key=value,...]"),
])
def test_bad_postprocess_values_exit_2_before_loading_anything(files, value, message):
    missing = files["tmp"] / "missing.pt"  # never read: the option is checked first
    for command in (["predict", files["spec"], files["image"]], ["eval", files["spec"]]):
        result = run(files, *command, "--weights", missing, "--postprocess", value)
        assert result.exit_code == 2 and message in result.output, result.output

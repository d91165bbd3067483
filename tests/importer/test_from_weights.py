"""``segkit import SOURCE --from-weights FILE``: the spec's weights are the checkpoint's
(its outputs equal the library's own model loaded with FILE), and a file that is no
checkpoint of the source is an error naming it, exit code 2, rather than an encoder left
partly random."""
from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner

import segkit
from segkit.cli.group import main
from segkit.compiler.outputs import flatten_outputs
from segkit.importer.sources import feature_maps

from .exactness import randomise

timm = pytest.importorskip("timm")
torchvision = pytest.importorskip("torchvision")

SIZE = (64, 64)


def timm_reference(checkpoint: str):
    """timm's feature extractor with ``checkpoint`` loaded by timm itself."""
    return timm.create_model("resnet18", features_only=True, feature_cls="fx", pretrained=True,
                             pretrained_cfg_overlay={"file": checkpoint})


def torchvision_reference(checkpoint: str):
    model = torchvision.models.resnet18()
    model.load_state_dict(torch.load(checkpoint, weights_only=True), strict=True)
    return feature_maps(model, SIZE)


CASES = [("timm:resnet18", lambda: timm.create_model("resnet18"), timm_reference),
         ("torchvision:resnet18", torchvision.models.resnet18, torchvision_reference)]


def run_import(source: str, checkpoint, tmp_path):
    spec, weights = tmp_path / "out.yaml", tmp_path / "out.pt"
    result = CliRunner().invoke(main, ["import", source, "--from-weights", str(checkpoint), "-o", str(spec),
                                       "--weights", str(weights), "--input", "3x" + "x".join(map(str, SIZE))])
    return result, spec, weights


@pytest.mark.parametrize("source, make, reference", CASES, ids=[c[0] for c in CASES])
def test_the_imported_weights_are_the_checkpoints(source, make, reference, tmp_path):
    checkpoint = tmp_path / "checkpoint.pth"
    torch.save(randomise(make(), seed=1).float().state_dict(), checkpoint)  # random BatchNorm statistics too
    result, spec, weights = run_import(source, checkpoint, tmp_path)
    assert result.exit_code == 0, result.output
    model = segkit.build(str(spec))
    model.load_state_dict(torch.load(weights, weights_only=True), strict=True)
    want_model = reference(str(checkpoint)).double().eval()
    x = torch.randn(2, 3, *SIZE, dtype=torch.float64)
    with torch.no_grad():
        want, got = flatten_outputs(want_model(x)), flatten_outputs(model.double().eval()(x))
    assert len(want) == len(got) == 5
    assert all(torch.equal(a, b) for a, b in zip(want, got))


def garbage(path):
    path.write_bytes(b"not a checkpoint \x00\x01\x02")


def wrong_keys(path):
    torch.save({"foo": torch.zeros(3)}, path)


def another_model(path):
    torch.save(timm.create_model("resnet34").state_dict(), path)  # fits ResNet-18's keys, and 96 more


def wrong_shapes(path):
    torch.save(timm.create_model("resnet18", num_classes=10).state_dict(), path)


@pytest.mark.parametrize("source", ["timm:resnet18", "torchvision:resnet18"])
@pytest.mark.parametrize("write, message", [
    (garbage, "as a checkpoint"),
    (wrong_keys, ("does not fit ResNet: 102 missing keys (conv1.weight, bn1.weight, bn1.bias, ...), "
                  "1 unexpected key (foo)")),
    (another_model, "does not fit ResNet: 96 unexpected keys (layer1.2.conv1.weight"),
    (wrong_shapes, "does not fit ResNet: size mismatch for fc.weight"),
], ids=["garbage", "wrong-keys", "another-model", "wrong-shapes"])
def test_a_checkpoint_that_does_not_fit_is_a_located_error(source, write, message, tmp_path):
    checkpoint = tmp_path / "bad.pth"
    write(checkpoint)
    result, spec, _ = run_import(source, checkpoint, tmp_path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not spec.exists()
    assert result.stderr.startswith(f"--from-weights: error: '{checkpoint}' ") or "cannot read" in result.stderr
    assert message in result.stderr

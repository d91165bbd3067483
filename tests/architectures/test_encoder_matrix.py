"""Every head on any encoder (``--set encoder=NAME``): a registered block (resnet,
mobilenetv3), a backbone spec file, or an imported encoder (``segkit import
torchvision:resnet18``). A few combinations build and run at 64x64 by default; the whole
matrix is checked in the slow test, with the combinations that cannot work named."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

import segkit

SPECS = Path(__file__).resolve().parents[2] / "specs"
HEADS = ["deeplab_v3", "deeplab_v3plus", "pspnet", "fastfcn", "refinenet", "fpn", "linknet", "unetplusplus", "upernet",
         "fcn8s", "fcn16s", "fcn32s", "unet_resnet34"]
REGISTERED = ["resnet", "mobilenetv3", "./backbones/mobilenetv2.yaml", "./backbones/xception65.yaml"]
# LinkNet, UNet++ and U-Net add the stride-2 map c1, which these backbones do not name; xception65's
# stride-16 map is not half the stride-8 one at 192x192, so FPN and LinkNet sums refuse.
CANNOT = {("linknet", "mobilenetv3"), ("linknet", "./backbones/mobilenetv2.yaml"),
          ("linknet", "./backbones/xception65.yaml"), ("fpn", "./backbones/xception65.yaml"),
          ("unetplusplus", "mobilenetv3"), ("unetplusplus", "./backbones/mobilenetv2.yaml"),
          ("unetplusplus", "./backbones/xception65.yaml"), ("unet_resnet34", "mobilenetv3"),
          ("unet_resnet34", "./backbones/mobilenetv2.yaml"), ("unet_resnet34", "./backbones/xception65.yaml")}


@pytest.fixture(scope="module")
def imported_resnet18(tmp_path_factory) -> str:
    pytest.importorskip("torchvision")
    from segkit.importer.sources import load_source

    imported = segkit.import_model(load_source("torchvision:resnet18", input_size=(64, 64)), input="3x64x64")
    path = tmp_path_factory.mktemp("enc") / "resnet18.yaml"
    path.write_text(imported.spec)
    return str(path)


def test_imported_encoder_names_strides(imported_resnet18):
    names = set(segkit.check(imported_resnet18, input="3x64x64").outputs)
    assert {"c1", "c2", "c3", "c4", "c5"} <= names


@pytest.mark.parametrize("head", ["fpn", "linknet", "unetplusplus", "deeplab_v3plus", "refinenet"])
def test_head_on_imported_encoder_runs(head, imported_resnet18):
    model = segkit.build(SPECS / f"{head}.yaml", input="3x64x64", encoder=imported_resnet18, num_classes=3).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 64, 64))
    assert out.shape == (1, 3, 64, 64)


def test_default_encoder_build_unchanged():
    """The default encoder is the one each spec always had: counts as docs/architectures.md."""
    assert segkit.check(SPECS / "deeplab_v3plus.yaml", input="3x64x64").params == 59_344_309
    assert segkit.check(SPECS / "deeplab_v3plus.yaml", input="3x64x64", encoder="resnet").params == 59_344_309
    assert segkit.check(SPECS / "fcn8s.yaml", input="3x64x64").params == 134_362_751
    assert segkit.check(SPECS / "unet_resnet34.yaml", input="3x64x64", num_classes=1).params == 24_436_369


@pytest.mark.parametrize("head, encoder, size", [("fcn8s", "mobilenetv3", (50, 70)),
                                                 ("unet_resnet34", "imported_resnet18", (64, 64))])
def test_fcn_and_unet_on_another_encoder(head, encoder, size, request):
    """FCN (aligned head, any size) and U-Net (sizes a multiple of 32) off their default
    encoder: the static count is the built module's, and the output has the input's size."""
    if encoder == "imported_resnet18":
        encoder = request.getfixturevalue(encoder)
    input = "3x{}x{}".format(*size)
    report = segkit.check(SPECS / f"{head}.yaml", input=input, encoder=encoder, num_classes=3)
    model = segkit.build(SPECS / f"{head}.yaml", input=input, encoder=encoder, num_classes=3).eval()
    assert sum(p.numel() for p in model.parameters()) == report.params
    with torch.no_grad():
        assert model(torch.randn(1, 3, *size)).shape == (1, 3, *size)


def test_unet_on_imported_encoder_counts_as_smp(imported_resnet18):
    smp = pytest.importorskip("segmentation_models_pytorch")
    ref = smp.Unet("resnet18", encoder_weights=None, classes=1)
    report = segkit.check(SPECS / "unet_resnet34.yaml", input="3x64x64", encoder=imported_resnet18, num_classes=1)
    assert report.params == sum(p.numel() for p in ref.parameters()) == 14_328_209


def test_registered_encoder_on_a_head():
    report = segkit.check(SPECS / "fpn.yaml", input="3x64x64", encoder="mobilenetv3")
    assert report.params > 0


@pytest.mark.slow
@pytest.mark.parametrize("head", HEADS)
def test_matrix(head, imported_resnet18):
    for encoder in REGISTERED + [imported_resnet18]:
        if (head, encoder) in CANNOT:
            with pytest.raises(segkit.errors.SegkitError):
                segkit.check(SPECS / f"{head}.yaml", input="3x192x192", encoder=encoder)
        else:
            report = segkit.check(SPECS / f"{head}.yaml", input="3x192x192", encoder=encoder)
            assert report.params > 0, (head, encoder)

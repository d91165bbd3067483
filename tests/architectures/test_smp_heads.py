"""U-Net, FPN, LinkNet, UNet++ and UPerNet against segmentation_models_pytorch, their reference
implementation: equal parameter counts on the same ResNet encoder (smp's UPerNet adds a
LayerNorm on each encoder feature that the paper has not; those are subtracted). Torch-free
on segkit's side (``segkit.check``); skipped where smp is not installed."""
from __future__ import annotations

from pathlib import Path

import pytest

import segkit

smp = pytest.importorskip("segmentation_models_pytorch")

SPECS = Path(__file__).resolve().parents[2] / "specs"


def smp_params(model, extra=()) -> int:
    return sum(p.numel() for p in model.parameters()) - sum(p.numel() for m in extra for p in m.parameters())


# (spec, smp class, depth, input)
CASES = [
    ("unet_resnet34", "Unet", 34, "3x64x64"),
    ("unet_resnet34", "Unet", 18, "3x64x64"),
    ("unet_resnet34", "Unet", 50, "3x64x64"),
    ("fpn", "FPN", 34, "3x64x64"),
    ("fpn", "FPN", 18, "3x64x64"),
    ("linknet", "Linknet", 18, "3x64x64"),
    ("linknet", "Linknet", 34, "3x64x64"),
    ("unetplusplus", "UnetPlusPlus", 34, "3x64x64"),
    ("unetplusplus", "UnetPlusPlus", 18, "3x64x64"),
    ("upernet", "UPerNet", 50, "3x192x192"),   # the pyramid pooling's 6x6 bins need c5 >= 6
]


@pytest.mark.parametrize("spec,arch,depth,size", CASES)
@pytest.mark.parametrize("classes", [1, 21])
def test_params_equal_smp(spec, arch, depth, size, classes):
    ref = getattr(smp, arch)(f"resnet{depth}", encoder_weights=None, classes=classes)
    extra = [ref.decoder.feature_norms] if arch == "UPerNet" else []
    ours = segkit.check(SPECS / f"{spec}.yaml", input=size, num_classes=classes, depth=depth)
    assert ours.params == smp_params(ref, extra)


def test_built_module_counts_the_same():
    model = segkit.build(SPECS / "linknet.yaml", input="3x64x64", num_classes=1)
    ref = smp.Linknet("resnet18", encoder_weights=None, classes=1)
    assert sum(p.numel() for p in model.parameters()) == smp_params(ref)

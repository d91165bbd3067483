"""timm interop: timm's aligned Xception-65 (``xception65``, random init) loads into
specs/backbones/xception65.yaml through format "timm" with zero missing or unexpected
keys (its ``head.fc`` skipped), and the named outputs equal timm's features at output
stride 32 and 16 (timm's ``output_stride`` dilates exactly as the spec does).

Both keep TensorFlow's BN epsilon (1e-3), so the outputs agree as they are.
"""
from __future__ import annotations

from pathlib import Path

import pytest

timm = pytest.importorskip("timm")

import torch  # noqa: E402

import segkit  # noqa: E402
from tests.interop.common import TOL, assert_fits, max_diff, randomize_norms  # noqa: E402

SPEC = Path(__file__).resolve().parents[2] / "specs" / "backbones" / "xception65.yaml"
TAPS = {"c2": "blocks.0", "c3": "blocks.1", "low": "blocks.1.stack.conv2", "c4": "blocks.18", "c5": "blocks.20"}
"""The timm module whose output each named output of the spec is (``low``: the entry
flow's second block's second separable conv, DeepLab v3+'s decoder tap)."""


def timm_xception65(output_stride: int):
    torch.manual_seed(0)
    return randomize_norms(timm.create_model("xception65", pretrained=False, output_stride=output_stride))


def tapped(model, x) -> dict[str, torch.Tensor]:
    """The outputs of the TAPS modules (cloned: timm's next ReLU works in place)."""
    seen = {}

    def keep(name):
        def hook(_module, _inputs, out) -> None:  # returning a value would replace the output
            seen[name] = out.clone()
        return hook

    hooks = [model.get_submodule(path).register_forward_hook(keep(name)) for name, path in TAPS.items()]
    try:
        with torch.no_grad():
            model.forward_features(x)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


@pytest.mark.parametrize("output_stride", [32, 16])
def test_timm_xception65_loads_into_the_xception65_backbone(output_stride, tmp_path):
    tv = timm_xception65(output_stride)
    path = tmp_path / "xception65.pth"
    torch.save(tv.state_dict(), path)
    model = segkit.build(SPEC, output_stride=output_stride)
    report = segkit.load_weights(model, path, format="timm")
    assert_fits(report, len(tv.state_dict()) - 2)
    assert sorted(report.skipped) == ["head.fc.bias", "head.fc.weight"]
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    expected = tapped(tv, x)
    with torch.no_grad():
        got = model.eval()(x)
    for name, value in expected.items():
        diff = max_diff(got[name], value)
        assert diff < TOL, f"xception65 OS{output_stride} {name}: max abs diff {diff}"

"""The ``crf`` block's static rule (shapes, params, MACs) equals PyTorch, exactly."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import strategies as st
from segkit_crf.block import CRF, crf_macs

from segkit import Shape
from segkit.errors import MismatchError, ShapeError
from segkit.testing import block_test, check_block


@pytest.mark.parametrize("params, logits, image", [
    ({}, Shape(21, (12, 10)), Shape(3, (12, 10))),  # DeepLab's defaults, kernel built once
    ({"chunk": 7, "iterations": 3}, Shape(4, (5, 6)), Shape(1, (5, 6))),  # rebuilt in chunks
    ({"iterations": 0}, Shape(2, (4, 4)), Shape(3, (4, 4))),
    ({}, Shape(2, (11,)), Shape(3, (11,))),  # 1-D signals
    ({"iterations": 2, "spacing": 2.0}, Shape(2, (3, 4, 5)), Shape(3, (3, 4, 5))),  # volumes
])
def test_static_shape_params_and_macs_equal_torch(params, logits, image):
    out = check_block(CRF, params, logits, image)["out"]
    assert tuple(out.shape) == (2, *logits.as_tuple())
    inference = CRF().infer(CRF.Params(**params), logits, image)
    assert inference.params == 0
    assert inference.macs == crf_macs(CRF.Params(**params), logits.channels, logits.spatial)


def test_macs_formula():
    p = CRF.Params()
    n = 12 * 10
    assert CRF().infer(p, Shape(21, (12, 10)), Shape(3, (12, 10))).macs == 10 * (n * n * 21 + 21 * n * (12 + 10))


@st.composite
def logits_and_image(draw):
    """Usually matching sizes; sometimes a different size or rank, which both the shape
    rule and PyTorch must reject."""
    rank = draw(st.integers(1, 3))
    spatial = tuple(draw(st.lists(st.integers(1, 7), min_size=rank, max_size=rank)))
    other = spatial
    kind = draw(st.sampled_from(["same"] * 8 + ["size", "rank"]))
    if kind == "size":
        other = tuple(s + draw(st.integers(1, 2)) if i == 0 else s for i, s in enumerate(spatial))
    elif kind == "rank":
        other = spatial + (2,) if rank < 3 else spatial[:-1]
    return [Shape(draw(st.integers(1, 5)), spatial), Shape(draw(st.integers(1, 4)), other)]


crf_params = st.fixed_dictionaries({
    "iterations": st.integers(0, 3),
    # weights 0 or at least 0.01: a subnormal weight vanishes in float32 and would make the
    # CRF pointwise, against its declared global receptive field
    "w1": st.just(0.0) | st.floats(0.01, 10), "theta_alpha": st.floats(0.5, 200), "theta_beta": st.floats(0.5, 50),
    "w2": st.just(0.0) | st.floats(0.01, 10), "theta_gamma": st.floats(0.5, 10),
    "image_scale": st.sampled_from([1.0, 255.0]), "spacing": st.floats(0.25, 4),
    # mostly room for every drawn size (at most 7^3 pixels), so that most draws are valid
    "max_pixels": st.just(400) | st.just(400) | st.integers(1, 400), "chunk": st.integers(0, 50),
})

test_crf_matches_torch = block_test(CRF, params=crf_params, inputs=logits_and_image(), max_examples=40)


def test_mismatched_sizes_are_a_mismatch_naming_both_inputs():
    with pytest.raises(MismatchError) as info:
        CRF().infer(CRF.Params(), Shape(21, (32, 32)), Shape(3, (33, 32)))
    assert info.value.pair == (0, 1) and "resize" in info.value.hint
    with pytest.raises(MismatchError):
        CRF().infer(CRF.Params(), Shape(21, (32, 32)), Shape(3, (32, 32, 3)))


def test_too_many_pixels_is_a_shape_error_suggesting_downsampling():
    with pytest.raises(ShapeError) as info:
        CRF().infer(CRF.Params(), Shape(21, (256, 256)), Shape(3, (256, 256)))
    assert "max_pixels=16384" in info.value.message and "downsample" in info.value.hint
    CRF().infer(CRF.Params(max_pixels=256 * 256), Shape(21, (256, 256)), Shape(3, (256, 256)))


def test_registering_the_plugin_does_not_import_torch():
    code = (
        "import sys\n"
        "import segkit, segkit_crf.plugin\n"
        "from segkit.plugins.manager import get_plugin_manager\n"
        "from segkit.plugins.registry import Registry\n"
        "plugins = get_plugin_manager(load_entry_points=False)\n"
        "plugins.manager.register(segkit_crf.plugin, name='crf')\n"
        "registry = Registry.from_plugins(plugins)\n"
        "spec = ('segkit: 1\\nname: t\\ninputs: {x: 3}\\n'\n"
        "        'nodes:\\n  a: {block: crf, from: [x, x]}\\noutputs: {out: a}\\n')\n"
        "segkit.check(spec, input='3x16x16', registry=registry)\n"
        "registry.get('postprocessor', 'crf')\n"
        "assert 'torch' not in sys.modules, 'registering segkit-crf imported torch'\n"
    )
    # from the package root, so it also runs where segkit-crf is not installed
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])

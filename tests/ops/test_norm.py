"""bn, gn, in: shapes kept, params counted, invalid groups and sizes rejected."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from segkit.core.shape import Shape
from segkit.errors import ShapeError
from segkit.ops.norm import BN, GN, InstanceNorm
from segkit.testing import check_against_torch, check_block, shapes

eps = st.sampled_from([1e-5, 1e-3])
momentum = st.sampled_from([0.1, 0.01, None])


@given(shapes(0, 3, max_size=8), eps, momentum, st.booleans())
def test_bn(x, eps, momentum, affine):
    check_block(BN, {"eps": eps, "momentum": momentum, "affine": affine}, x)


def test_bn_rank_4_rejected():
    with pytest.raises(ShapeError, match="0 to 3"):
        BN().infer(BN.Params(), Shape(2, (2, 2, 2, 2)))


@given(shapes(0, 3, max_size=8), st.integers(1, 8), st.booleans())
def test_gn_agrees_with_torch(x, groups, affine):
    """At batch 1, the case ``check`` states (a larger batch gives a group more values)."""
    check_against_torch(GN, {"groups": groups, "affine": affine}, x, batch=1)


def test_gn_default_groups():
    check_block(GN, {}, Shape(64, (4, 4)))
    with pytest.raises(ShapeError, match="groups=32 must divide the 48 channels"):
        GN().infer(GN.Params(), Shape(48, (4, 4)))


@given(shapes(1, 3, max_size=4), st.booleans(), st.booleans(), momentum)
def test_in_agrees_with_torch(x, affine, track, momentum):
    check_against_torch(InstanceNorm, {"affine": affine, "track_running_stats": track, "momentum": momentum}, x)


def test_in_needs_spatial_dims():
    with pytest.raises(ShapeError, match="1 to 3 spatial dims"):
        InstanceNorm().infer(InstanceNorm.Params(), Shape(8))
    with pytest.raises(ShapeError, match="more than one spatial element"):
        InstanceNorm().infer(InstanceNorm.Params(), Shape(8, (1, 1)))
    assert InstanceNorm().infer(InstanceNorm.Params(affine=True), Shape(8, (2, 1))).params == 16

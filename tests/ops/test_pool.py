"""maxpool, avgpool, adaptive and global pools, unpool: exact sizes (ceil_mode
included) and the same valid/invalid verdict as PyTorch."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

from segkit.core.shape import Geometry, Shape
from segkit.errors import ShapeError
from segkit.ops.pool import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, GlobalAvgPool, MaxPool, Unpool, pool_out
from segkit.testing import check_against_torch, check_block, shapes, sizes


def window_params(data, rank, max_kernel=4):
    return {"kernel": data.draw(sizes(rank, 1, max_kernel)),
            "stride": data.draw(st.none() | sizes(rank, 1, 3)),
            "padding": data.draw(sizes(rank, 0, 2)),
            "ceil_mode": data.draw(st.booleans())}


@given(st.data())
def test_maxpool_agrees_with_torch(data):
    x = data.draw(shapes(1, 3, max_size=12))
    p = window_params(data, x.rank) | {"dilation": data.draw(sizes(x.rank, 1, 2)),
                                       "return_indices": data.draw(st.booleans())}
    check_against_torch(MaxPool, p, x)


@given(st.data())
def test_avgpool_agrees_with_torch(data):
    x = data.draw(shapes(1, 3, max_size=12))
    p = window_params(data, x.rank) | {"count_include_pad": data.draw(st.booleans())}
    check_against_torch(AvgPool, p, x)


def test_ceil_mode_last_window_starts_inside():
    # 5 + 2*1 padding, kernel 2, stride 2: a 4th window would start in the right padding
    assert pool_out(5, 2, 2, 1, 1, True) == 3
    assert pool_out(5, 2, 2, 1, 1, False) == 3
    assert pool_out(6, 2, 2, 1, 1, True) == 4
    check_block(MaxPool, {"kernel": 2, "padding": 1, "ceil_mode": True}, Shape(1, (5, 6)))


def test_maxpool_outputs_and_errors():
    pool = MaxPool()
    assert pool.output_names(pool.Params(return_indices=True)) == ("out", "indices")
    assert pool.output_names(pool.Params()) == ("out",)
    with pytest.raises(ShapeError, match="at most half the kernel"):
        pool.infer(pool.Params(kernel=3, padding=2), Shape(1, (9, 9)))
    with pytest.raises(ShapeError, match="too small"):
        pool.infer(pool.Params(kernel=4), Shape(1, (3, 9)))
    geometry = pool.infer(pool.Params(kernel=3, stride=2, dilation=2), Shape(1, (9, 9))).geometry
    assert geometry == Geometry.window([5, 5], [2, 2])
    with pytest.raises(ShapeError, match="3-d average pooling needs the unpadded input"):
        AvgPool().infer(AvgPool.Params(kernel=3, padding=1), Shape(1, (2, 5, 5)))


@given(shapes(1, 3, max_size=10), st.data(), st.sampled_from([AdaptiveAvgPool, AdaptiveMaxPool]))
def test_adaptive(x, data, block):
    # an output larger than the input is allowed, as in PyTorch
    check_block(block, {"size": data.draw(sizes(x.rank, 1, 12))}, x)
    assert block().infer(block.Params(size=2), x).geometry.global_


@given(shapes(1, 3, max_size=10))
def test_global_avgpool(x):
    out = check_block(GlobalAvgPool, {}, x)["out"]
    assert out.shape[2:] == (1,) * x.rank


def test_pools_need_spatial_dims():
    for block, params in [(MaxPool, {}), (AvgPool, {}), (AdaptiveAvgPool, {"size": 1}), (GlobalAvgPool, {})]:
        with pytest.raises(ShapeError, match="1 to 3 spatial dims"):
            block().infer(block.Params(**params), Shape(4))


@given(st.data())
def test_unpool_round_trips_pool(data):
    source = data.draw(shapes(1, 3, max_size=12))
    p = window_params(data, source.rank)
    src = torch.randn(2, *source.as_tuple())
    try:
        x, indices = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[source.rank - 1](
            src, p["kernel"], p["stride"], p["padding"], 1, p["ceil_mode"], True)
    except RuntimeError:
        assume(False)
    pooled = Shape(x.shape[1], tuple(x.shape[2:]))
    del p["ceil_mode"]
    out = check_block(Unpool, p | {"indices": "pool"}, pooled, pooled, source,
                      inputs={0: x, 1: indices, 2: src})["out"]
    # every pooled maximum lands back where it came from
    assert torch.equal(out.flatten(2).gather(2, indices.flatten(2)), x.flatten(2))


def test_unpool_errors():
    unpool, p = Unpool(), Unpool.Params(indices="pool", kernel=2)
    assert unpool.infer(p, Shape(3, (4, 4)), Shape(3, (4, 4)), Shape(3, (9, 8))).out == Shape(3, (9, 8))
    with pytest.raises(ShapeError, match="must have the shape of the input"):
        unpool.infer(p, Shape(3, (4, 4)), Shape(3, (5, 4)), Shape(3, (9, 8)))
    with pytest.raises(ShapeError, match=r"gives spatial size \[5, 4\], not the input's \[4, 4\]"):
        unpool.infer(p, Shape(3, (4, 4)), Shape(3, (4, 4)), Shape(3, (10, 8)))
    assert unpool.infer(p, Shape(3, (4,)), Shape(3, (4,)), Shape(3, (8,))).geometry.jump == (0.5,)

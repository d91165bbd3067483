"""act, softmax, sigmoid: any rank, shapes kept, PReLU params counted."""
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from segkit.core.shape import Shape
from segkit.errors import ShapeError
from segkit.ops.activation import INPLACE, MODULES, Act, Sigmoid, Softmax
from segkit.testing import check_block, shapes

kinds = st.sampled_from(sorted(MODULES))


@given(shapes(0, 3, max_size=8), kinds, st.booleans())
def test_act(x, kind, inplace):
    check_block(Act, {"kind": kind, "inplace": inplace and kind in INPLACE}, x)


@given(shapes(0, 3, max_size=8), st.sampled_from(["channel", 1]))
def test_prelu_params(x, num_parameters):
    out = check_block(Act, {"kind": "prelu", "num_parameters": num_parameters}, x)
    assert Act().infer(Act.Params(kind="prelu", num_parameters=num_parameters), x).params == \
        (x.channels if num_parameters == "channel" else 1)
    assert out["out"].shape[1] == x.channels


def test_leaky_relu_slope():
    x = -torch.ones(2, 2, 3)
    out = check_block(Act, {"kind": "leaky_relu", "negative_slope": 0.2}, Shape(2, (3,)), inputs={0: x})["out"]
    assert torch.allclose(out, torch.full_like(x, -0.2))


@pytest.mark.parametrize("params,message", [
    ({"kind": "gelu", "inplace": True}, "no in-place form"),
    ({"kind": "relu", "negative_slope": 0.1}, "'negative_slope' applies to kind leaky_relu"),
    ({"kind": "elu", "num_parameters": 1}, "'num_parameters' applies to kind prelu"),
])
def test_invalid(params, message):
    with pytest.raises(ShapeError, match=message):
        Act().infer(Act.Params(**params), Shape(4, (5, 5)))


@given(shapes(0, 3, max_size=8))
def test_softmax_and_sigmoid(x):
    probs = check_block(Softmax, {}, x)["out"]
    assert torch.allclose(probs.sum(1), torch.ones(()))
    gates = check_block(Sigmoid, {}, x)["out"]
    assert ((gates >= 0) & (gates <= 1)).all()

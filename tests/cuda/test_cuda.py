"""CUDA-readiness: the same weights give the same outputs on CPU and CUDA, and AMP,
channels_last, torch.compile, BN folding and `segkit bench --device cuda` work there.
Skipped as a whole where torch sees no CUDA device (run with `pytest -m cuda`)."""
from __future__ import annotations

import copy

import pytest
import torch

import segkit
from segkit.export import fold_bn
from tests.export._util import EXAMPLES, SPECS

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

CASES = {name: (spec, shape, params) for name, (spec, shape, params) in EXAMPLES.items()}
CASES["unet_small"] = (SPECS / "unet_small.yaml", "3x64x64", {})
CASES["deeplabv3_resnet50"] = (SPECS / "torchvision/deeplabv3_resnet50.yaml", "3x96x96", {})
CASES["encnet"] = (SPECS / "encnet.yaml", "3x64x64", {})
CASES["unet3d"] = (SPECS / "unet3d.yaml", "3x16x16x16", {"width": 4})


@pytest.fixture(autouse=True)
def _exact_cuda_math():
    """TF32 would make CUDA convs differ from CPU by ~1e-3; compare IEEE float32."""
    conv, matmul = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = conv, matmul


def make(name, train_heads=False):
    spec, shape, params = CASES[name]
    torch.manual_seed(0)
    model = segkit.build(spec, input=shape, train_heads=train_heads, **params).eval()
    x = torch.randn(2, *segkit.Shape.parse(shape).as_tuple())
    return model, x


def close(a, b, tol):
    scale = max(1.0, float(b.abs().max()))
    assert float((a.float() - b.float()).abs().max()) <= tol * scale


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_outputs_on_cpu_and_cuda(name):
    model, x = make(name)
    with torch.inference_mode():
        expected = model(x)
        got = model.cuda()(x.cuda()).cpu()
    close(got, expected, 1e-4)


@pytest.mark.parametrize("name", ["fcn8s_tiny", "unet_small"])
def test_same_gradients_on_cpu_and_cuda(name):
    model, x = make(name)
    gpu = copy.deepcopy(model).cuda()
    for m in (model, gpu):
        m.train()
    model(x).float().mean().backward()
    gpu(x.cuda()).float().mean().backward()
    for (key, p), q in zip(model.named_parameters(), gpu.parameters()):
        close(q.grad.cpu(), p.grad, 1e-3)


@pytest.mark.parametrize("name", ["fcn8s_tiny", "unet_small", "deeplabv3_resnet50"])
def test_amp_forward_and_backward(name):
    model, x = make(name)
    model, x = model.cuda(), x.cuda()
    with torch.inference_mode():
        expected = model(x)
        with torch.autocast("cuda", dtype=torch.float16):
            got = model(x)
    assert torch.isfinite(got).all()
    close(got, expected, 5e-2)
    model.train()
    with torch.autocast("cuda", dtype=torch.float16):
        loss = model(x).float().mean()
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


@pytest.mark.parametrize("name", ["fcn8s_tiny", "segnet_tiny", "deeplabv3_resnet50", "unet3d"])
def test_channels_last(name):
    model, x = make(name)
    model, x = model.cuda(), x.cuda()
    fmt = torch.channels_last_3d if x.dim() == 5 else torch.channels_last
    with torch.inference_mode():
        expected = model(x)
        got = model.to(memory_format=fmt)(x.to(memory_format=fmt))
    close(got, expected, 1e-4)


@pytest.mark.parametrize("name", ["fcn8s_tiny", "segnet_tiny", "unet_small"])
def test_torch_compile_fullgraph(name):
    torch._dynamo.reset()
    model, x = make(name)
    model, x = model.cuda(), x.cuda()
    compiled = torch.compile(model, fullgraph=True)
    with torch.inference_mode():
        expected = model(x)
        got = compiled(x)
    close(got, expected, 1e-3)


def test_fold_bn_on_cuda():
    model, x = make("deeplabv3_resnet50")
    model, x = model.cuda(), x.cuda()
    folded = fold_bn(model)
    with torch.inference_mode():
        close(folded(x), model(x), 1e-4)


def test_bench_cli_on_cuda():
    from click.testing import CliRunner

    from segkit.cli import main

    spec, shape, params = CASES["fcn8s_tiny"]
    result = CliRunner().invoke(main, ["bench", str(spec), "--input", shape, "--set", "width=8", "--device", "cuda",
                                       "--repeats", "2", "--warmup", "1", "--amp", "--channels-last", "--fold-bn"])
    assert result.exit_code == 0, result.output
    assert "cuda (" in result.output and "amp float16" in result.output
    assert "torch.cuda.max_memory_allocated" in result.output

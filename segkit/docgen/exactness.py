"""Import a source module and compare the built spec with it, as the encoder table's
"exact" column states: random weights, randomised BatchNorm statistics, fp64, eval mode."""
from __future__ import annotations

from segkit.api import build
from segkit.compiler.outputs import flatten_outputs
from segkit.importer import import_model

# torch is imported inside functions, so that importing docgen, and so `segkit docs`, stays torch-free.


def randomise(module, seed: int = 0):
    """``module`` in fp64 eval mode with random BatchNorm statistics and affine params, so
    that a wrongly folded or skipped normalisation cannot hide behind its identity init."""
    import torch

    torch.manual_seed(seed)
    for m in module.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            if m.affine:
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.5, 0.5)
    return module.double().eval()


def compare(source, size: str = "3x64x64", name: str = "imported"):
    """(max abs difference, parameter counts equal, imported) for ``source`` at ``size``."""
    import torch

    source = randomise(source)
    imported = import_model(source, size, name=name)
    model = build(imported.spec)
    model.load_state_dict(imported.state_dict, strict=True)
    model = model.double().eval()
    x = torch.randn(2, *map(int, size.split("x")), dtype=torch.float64)
    with torch.no_grad():
        want, got = flatten_outputs(source(x)), flatten_outputs(model(x))
    assert len(want) == len(got)
    diff = max((a - b).abs().max().item() for a, b in zip(want, got))
    params_equal = sum(p.numel() for p in source.parameters()) == sum(p.numel() for p in model.parameters())
    return diff, params_equal, imported

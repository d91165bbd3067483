"""Batch-norm folding: an inference pass over a compiled GraphModule.

An eval-mode BatchNorm after a convolution is a per-channel affine map,
``y = (x - mean) * gamma / sqrt(var + eps) + beta``, so it folds into the conv's weight
and bias and the BN disappears. Two places are folded:

- the fx graph: a ``call_module`` BatchNorm whose only input is a ``call_module``
  Conv1d/2d/3d or ConvTranspose1d/2d/3d (any groups) used by nothing else; the BN node
  and its submodule are removed, so ``state_dict`` loses the ``...bn.*`` keys;
- inside Python-built blocks (modules the graph calls as one leaf): adjacent (conv, BN)
  children of an ``nn.Sequential``; the BN child becomes ``nn.Identity``.

BNs after anything else (a concat, an add, the pre-activation BN of DenseNet) are kept:
folding them into the *next* conv would be wrong at zero-padded borders. The result is
for inference only (eval mode; the folded convs no longer see batch statistics).
"""
from __future__ import annotations

import copy

import torch
import torch.fx
import torch.nn as nn

CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def fold_bn(model: nn.Module, inplace: bool = False) -> nn.Module:
    """``model`` (a compiled spec) with every foldable BatchNorm folded into the
    convolution before it, in eval mode; outputs equal the eval-mode original up to
    float rounding. ``inplace=False`` leaves ``model`` untouched."""
    if not inplace:
        model = copy.deepcopy(model)
    model.eval()
    if isinstance(model, torch.fx.GraphModule):
        _fold_graph(model)
    _fold_sequentials(model)
    return model


def count_bn(model: nn.Module) -> int:
    """Number of BatchNorm modules in ``model``."""
    return sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def _foldable(conv: nn.Module, bn: nn.Module) -> bool:
    if not isinstance(bn, nn.modules.batchnorm._BatchNorm) or bn.running_mean is None:
        return False
    if not isinstance(conv, CONVS + TRANSPOSED):
        return False
    channels = conv.out_channels
    spatial = conv.weight.dim() - 2
    bn_rank = {nn.BatchNorm1d: 1, nn.BatchNorm2d: 2, nn.BatchNorm3d: 3}.get(type(bn))
    return bn.num_features == channels and bn_rank in (spatial, None)


def fuse_conv_bn(conv: nn.Module, bn: nn.Module) -> nn.Module:
    """A copy of ``conv`` computing ``bn(conv(x))`` in eval mode."""
    fused = copy.deepcopy(conv)
    with torch.no_grad():
        w = conv.weight
        scale = bn.running_var.to(torch.float64).add(bn.eps).rsqrt()
        if bn.weight is not None:
            scale = scale * bn.weight.to(torch.float64)
        shift = -bn.running_mean.to(torch.float64) * scale
        if bn.bias is not None:
            shift = shift + bn.bias.to(torch.float64)
        if conv.bias is not None:
            shift = shift + conv.bias.to(torch.float64) * scale
        kernel_dims = [1] * (w.dim() - 2)
        if isinstance(conv, TRANSPOSED):
            # weight: (in, out / groups, *k); output channel g * (out / groups) + j
            g = conv.groups
            view = w.to(torch.float64).reshape(g, w.shape[0] // g, w.shape[1], *w.shape[2:])
            view = view * scale.reshape(g, 1, w.shape[1], *kernel_dims)
            weight = view.reshape(w.shape)
        else:
            weight = w.to(torch.float64) * scale.reshape(-1, 1, *kernel_dims)
    fused.weight = nn.Parameter(weight.to(w.dtype), requires_grad=w.requires_grad)
    fused.bias = nn.Parameter(shift.to(w.dtype), requires_grad=w.requires_grad)
    return fused


def _fold_graph(gm: torch.fx.GraphModule) -> None:
    modules = dict(gm.named_modules())
    changed = False
    for node in list(gm.graph.nodes):
        if node.op != "call_module" or len(node.args) != 1 or node.kwargs:
            continue
        bn = modules.get(node.target)
        prev = node.args[0]
        if not isinstance(prev, torch.fx.Node) or prev.op != "call_module" or len(prev.users) != 1:
            continue
        conv = modules.get(prev.target)
        if bn is None or conv is None or not _foldable(conv, bn):
            continue
        fused = fuse_conv_bn(conv, bn)
        _set_submodule(gm, prev.target, fused)
        modules[prev.target] = fused
        node.replace_all_uses_with(prev)
        gm.graph.erase_node(node)
        gm.delete_submodule(node.target)
        changed = True
    if changed:
        _prune_empty(gm)
        gm.graph.lint()
        gm.recompile()


def _fold_sequentials(model: nn.Module) -> None:
    for module in model.modules():
        if not isinstance(module, nn.Sequential):
            continue
        names = list(module._modules)
        for a, b in zip(names, names[1:]):
            conv, bn = module._modules[a], module._modules[b]
            if conv is not None and bn is not None and _foldable(conv, bn):
                module._modules[a] = fuse_conv_bn(conv, bn)
                module._modules[b] = nn.Identity()


def _set_submodule(root: nn.Module, path: str, module: nn.Module) -> None:
    *parents, leaf = path.split(".")
    parent = root
    for name in parents:
        parent = getattr(parent, name)
    setattr(parent, leaf, module)


def _prune_empty(gm: torch.fx.GraphModule) -> None:
    """Drop container modules left without children or state by the folding."""
    used = {n.target for n in gm.graph.nodes if n.op in ("call_module", "get_attr")}
    for name, module in sorted(gm.named_modules(), key=lambda item: -item[0].count(".")):
        if name and type(module) is nn.Module and not module._modules and not module._parameters \
                and not module._buffers and name not in used:
            gm.delete_submodule(name)

"""Runtime functions that compiled graphs call inline for stateless blocks.

Only imported when a graph is compiled (this module imports torch). Inputs come in the
node's order: its ``from`` list, then the nodes named by reference params.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def concat(*xs: torch.Tensor) -> torch.Tensor:
    """Concatenate along channels."""
    return torch.cat(xs, dim=1)


def add(x: torch.Tensor, *others: torch.Tensor) -> torch.Tensor:
    """Elementwise sum (broadcasting)."""
    for y in others:
        x = x + y
    return x


def add_into(x: torch.Tensor, *others: torch.Tensor) -> torch.Tensor:
    """``add`` that writes the sum into ``x``: the compiler's in-place pass (segkit/compiler/inplace.py)
    uses it where nothing else reads ``x``. Where ``x`` cannot hold the sum, it adds out
    of place, as ``add``: a dtype too narrow (a float16 ``x`` plus a float32 other under
    autocast), or a shape the sum broadcasts beyond. Whether ``x`` broadcasts depends on
    the input size (a stride-2 branch of length 1 beside a full one of length 1 at size
    2, of length 2 at size 3), so it is decided here, per call, and the module runs at
    every size its report accepts whatever size it was built at."""
    for y in others:
        fits = torch.promote_types(x.dtype, y.dtype) == x.dtype and torch.broadcast_shapes(x.shape, y.shape) == x.shape
        x = x.add_(y) if fits else x + y
    return x


def mul(x: torch.Tensor, *others: torch.Tensor) -> torch.Tensor:
    """Elementwise product (broadcasting)."""
    for y in others:
        x = x * y
    return x


def resize(x: torch.Tensor, like: torch.Tensor | None = None, *, scale=None, size=None, mode: str = "auto",
           align_corners: bool | None = None) -> torch.Tensor:
    """Interpolate ``x`` by ``scale``, to ``size``, or to ``like``'s spatial size;
    ``mode="auto"`` is linear, bilinear or trilinear by rank."""
    if mode == "auto":
        mode = ("linear", "bilinear", "trilinear")[x.dim() - 3]
    if like is not None:
        size = like.shape[2:]
    return F.interpolate(x, size=size, scale_factor=scale, mode=mode, align_corners=align_corners)


def unpool(x: torch.Tensor, indices: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """Max-unpool ``x`` to the spatial size of ``source``, the pool's input.

    Written as the scatter that max-unpooling is (values go to the flat argmax positions
    the pool recorded, zeros elsewhere), equal to ``F.max_unpoolNd``, so that
    ``torch.export`` and ONNX (ScatterElements) handle it; the pool's kernel, stride and
    padding are only needed by the static shape rule, which checks them. The flat size is
    ``math.prod`` of the dims, not ``torch.Size.numel()``, which torch.export specialises
    to the example's size.
    """
    flat = x.new_zeros(x.shape[0], x.shape[1], math.prod(source.shape[2:]))
    flat = flat.scatter(2, indices.flatten(2), x.flatten(2))
    return flat.view(x.shape[0], x.shape[1], *source.shape[2:])


def split(x: torch.Tensor, *, sizes: list[int]) -> tuple[torch.Tensor, ...]:
    """Split along channels into parts of ``sizes`` channels."""
    return tuple(torch.split(x, sizes, dim=1))


def chunk(x: torch.Tensor, *, parts: int) -> tuple[torch.Tensor, ...]:
    """Split along channels into ``parts`` equal parts."""
    return tuple(torch.chunk(x, parts, dim=1))


def channel_slice(x: torch.Tensor, *, start: int, stop: int | None) -> torch.Tensor:
    """Channels ``start:stop``."""
    return x[:, start:stop]


def pad_channels(x: torch.Tensor, *, out: int) -> torch.Tensor:
    """Append zero channels up to ``out`` channels."""
    zeros = x.new_zeros((x.shape[0], out - x.shape[1], *x.shape[2:]))
    return torch.cat((x, zeros), dim=1)


def crop(x: torch.Tensor, like: torch.Tensor | None = None, *, size=None) -> torch.Tensor:
    """Center-crop ``x`` to ``like``'s spatial size, or to ``size`` (int or per dim).

    Written as a negative ``F.pad`` (a fresh tensor, ONNX Pad) rather than a slice: the
    view a slice gives is contiguous exactly when the crop removes nothing, and
    torch.export, recording that, guards on it, so an ExportedProgram of FC-DenseNet
    (whose crop removes one pixel at even sizes, none at odd) would take one parity.
    """
    spatial = x.shape[2:]
    if like is not None:
        size = like.shape[2:]
    elif isinstance(size, int):
        size = (size,) * len(spatial)
    pads = []
    for n, s in zip(reversed(spatial), reversed(size)):  # F.pad lists the last dim first
        pads += [-((n - s) // 2), (n - s) // 2 - (n - s)]
    return F.pad(x, pads)


def select_outputs(outputs: dict, training: bool, *, inference: tuple):
    """All outputs while training; in eval mode only the ``inference`` ones (a tensor
    when one remains). ``torch.compile`` specialises on ``training``, so the unused
    training-only heads are dead code there."""
    if training:
        return outputs
    if len(inference) == 1:
        return outputs[inference[0]]
    return {name: outputs[name] for name in inference}

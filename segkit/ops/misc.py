"""Regularization and plumbing: ``dropout`` (Srivastava et al., JMLR 2014),
``dropout2d``, which drops whole channels (spatial dropout, Tompson et al., CVPR 2015,
as used in ENet), and ``identity``. Shapes pass through unchanged; no params or MACs."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from segkit.core.block import Block, Params
from segkit.core.shape import POINTWISE, Inference, Shape
from segkit.core.size_algebra import keeps_size
from segkit.ops.conv import check_rank
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.



class DropoutParams(Params):
    p: Annotated[float, Field(ge=0, le=1)] = 0.5
    """Probability of zeroing an element (dropout) or a channel (dropout2d) in training."""
    inplace: bool = False
    """Overwrite the input."""


class Dropout(Block):
    """Elementwise dropout (``torch.nn.Dropout``), any rank."""

    name = "dropout"
    Params = DropoutParams
    spatial_rule = keeps_size

    def infer(self, p, x: Shape) -> Inference:
        return Inference({"out": x}, geometry=POINTWISE)

    def build(self, p, x: Shape):
        import torch.nn as nn

        return nn.Dropout(p.p, p.inplace)


class Dropout2d(Block):
    """Channel-wise (spatial) dropout: ``torch.nn.Dropout1d/2d/3d`` by spatial rank; the
    name follows the 2-d case."""

    name = "dropout2d"
    Params = DropoutParams
    spatial_rule = keeps_size
    min_rank = 1
    max_rank = 3

    def infer(self, p, x: Shape) -> Inference:
        check_rank(x, "dropout2d")
        return Inference({"out": x}, geometry=POINTWISE)

    def build(self, p, x: Shape):
        import torch.nn as nn

        return (nn.Dropout1d, nn.Dropout2d, nn.Dropout3d)[x.rank - 1](p.p, p.inplace)


class Identity(Block):
    """Pass the input through (``torch.nn.Identity``): a named tap point or placeholder."""

    name = "identity"
    spatial_rule = keeps_size

    def infer(self, p, x: Shape) -> Inference:
        return Inference({"out": x}, geometry=POINTWISE)

    def build(self, p, x: Shape):
        import torch.nn as nn

        return nn.Identity()


@hookimpl
def segkit_register_blocks(register):
    for block in (Dropout, Dropout2d, Identity):
        register(block)

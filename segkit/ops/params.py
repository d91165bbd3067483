"""Param types shared by the primitive ops: sizes given as one int or one per dim."""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field

PosInt = Annotated[int, Field(ge=1)]
Eps = Annotated[float, Field(gt=0)]
"""A norm's epsilon, added to the variance."""
NonNegInt = Annotated[int, Field(ge=0)]
Sizes = Union[PosInt, list[PosInt]]
"""A positive size: one int for every spatial dim, or a list with one per dim."""
NonNegSizes = Union[NonNegInt, list[NonNegInt]]
"""A non-negative size (padding): one int, or one per dim."""
Padding = Union[NonNegInt, list[NonNegInt], Literal["same", "auto"]]
"""Conv padding: an int or list; "same" keeps the size (stride 1 only, as in PyTorch);
"auto" pads dilation*(kernel-1)//2, which keeps odd kernels' sizes at stride 1."""

"""JSON that every parser reads: NaN and infinities (an mIoU over no pixels, a class
never seen) become ``null``, where ``json.dumps`` would write bare ``NaN``, which is not
JSON."""
from __future__ import annotations

import json
import math


def finite_or_null(value):
    """``value`` with every non-finite float, at any depth, replaced by None; numbers of
    other types (numpy, torch scalars) become plain floats."""
    if isinstance(value, dict):
        return {key: finite_or_null(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_null(item) for item in value]
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    number = float(value)
    return number if math.isfinite(number) else None


def dumps(value, indent: int | None = 2) -> str:
    """``value`` as strict JSON (NaN and infinities as null)."""
    return json.dumps(finite_or_null(value), indent=indent, allow_nan=False)

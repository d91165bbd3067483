"""``checks``: conditions a spec's params must meet, so that a YAML block rejects a bad
param the way a Python block does, at the caller's line and naming the param, instead
of an error surfacing later from a node inside it (or no error at all)::

    checks:
      - that: "${blocks >= 1}"
        param: blocks                  # optional: the param the error points at
        message: a stage needs at least one block

``that`` is an expression over the params, with ``channels('x')`` giving the channels
of input ``x``; it must evaluate to true or false. ``message`` may embed expressions
(``"${reduction} leaves no channels of ${channels('x')}"``). A spec that extends another keeps
the base's checks and adds its own.
"""
from __future__ import annotations

from typing import Callable, Optional

from pydantic import BaseModel, ConfigDict

from segkit.errors import SpecSchemaError
from segkit.lang.expr import SpecFunction, substitute


class CheckDecl(BaseModel):
    """One entry of ``checks``."""

    model_config = ConfigDict(extra="forbid", strict=True)
    that: str
    message: str
    param: Optional[str] = None


def first_failure(spec, params: dict, channels: Callable[[str], int]) -> tuple[int, CheckDecl] | None:
    """The index and declaration of the first of ``spec``'s checks that is false for
    ``params`` (``channels(name)`` gives an input's channels), or None."""
    scope = {**params, "channels": SpecFunction(channels)}
    for index, raw in enumerate(spec.data.get("checks") or ()):
        check = CheckDecl(**raw)
        if check.param is not None and check.param not in params:
            raise SpecSchemaError(f"check {index + 1} names param {check.param!r}, which {spec.name!r} does not have",
                                  spec.loc("checks", index, "param"))
        verdict = substitute(check.that, scope, spec.loc("checks", index, "that"))
        if not isinstance(verdict, bool):
            raise SpecSchemaError(f"check {index + 1} must be true or false, got {verdict!r}",
                                  spec.loc("checks", index, "that"))
        if not verdict:
            message = str(substitute(check.message, scope, spec.loc("checks", index, "message")))
            return index, check.model_copy(update={"message": message})
    return None

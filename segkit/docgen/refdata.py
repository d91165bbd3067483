"""``docs/architectures.yaml``: the hand-written reference figures of every shipped spec.

Per spec: the paper's citation, its headline result, the distribution that ships it and
one row per build (``--set`` params, input, with or without training-only heads) with
the paper's or official code's parameters and GMACs and a note explaining every
difference. segkit's own numbers are not stored here: the generator computes them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from segkit.errors import InputError, SourceLoc
from segkit.lang.loader import LocMap, load_yaml_file

DATA_FILE = Path("docs") / "architectures.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Row(_Strict):
    """One build of a spec and its reference figures."""

    sets: dict[str, Any] = Field(default_factory=dict, alias="set")
    """``--set`` params of this build."""
    input: str | None = None
    """Input size (``3x512x512``); unset: the spec's example size."""
    inference: bool = False
    """True: without training-only outputs (``segkit build --inference``)."""
    ref_params: int | None = None
    ref_gmacs: float | None = None
    source: str = ""
    """Where the reference figures come from."""
    note: str = ""
    """Why segkit's figures differ from the reference, or why there is none."""


class Entry(_Strict):
    """A spec: citation, headline result, shipping distribution and its rows."""

    citation: str
    result: str = ""
    plugin: str = "segkit"
    rows: list[Row] = Field(min_length=1)


class DataFile(_Strict):
    conventions: str
    specs: dict[str, Entry]


def load(root: Path) -> tuple[DataFile, LocMap]:
    """Read and validate ``root/docs/architectures.yaml``; errors carry its locations."""
    path = root / DATA_FILE
    if not path.is_file():
        raise InputError(f"no {DATA_FILE.as_posix()} here: not a segkit source checkout", SourceLoc(str(root)),
                         "run `segkit docs` from the repository root, or pass --root")
    data, locs = load_yaml_file(path)
    try:
        return DataFile.model_validate(data), locs
    except ValidationError as exc:
        err = exc.errors()[0]
        where = tuple(err["loc"])
        message = f"{'.'.join(map(str, where))}: {err['msg']}" if where else err["msg"]
        raise InputError(message, locs.at(where)) from None


def describe(row: Row) -> str:
    """The build a row describes, as command-line options."""
    parts = [f"--set {k}={_scalar(v)}" for k, v in row.sets.items()]
    if row.inference:
        parts.append("--inference")
    return " ".join(parts) or "defaults"


def _scalar(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)

"""The spec file format as pydantic models (``extra="forbid"``), and ``load_spec``.

A spec is validated against these models right after loading, so a misspelt top-level
or node key is reported at its line before anything else happens. Block params are
node keys too; they are validated later against the block's own ``Params``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from segkit.core.suggest import did_you_mean
from segkit.errors import SourceLoc, SpecSchemaError
from segkit.lang.checks import CheckDecl
from segkit.lang.extends import merge_extends, spec_registry
from segkit.lang.limits import MAX_ENTRIES
from segkit.lang.loader import LocMap, load_yaml, load_yaml_file

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FORMAT_VERSION = 1
NODE_KEYS = ("block", "from", "repeat", "when", "args")


class InputDecl(BaseModel):
    """An input tensor: channels (``null`` = whatever the caller passes, for blocks),
    spatial rank, and an example size used when no ``--input`` is given."""

    model_config = ConfigDict(extra="forbid", strict=True)
    channels: Union[int, str, None] = None
    rank: int = Field(2, ge=0, le=3)
    size: Union[int, list[int], str, None] = None


class OutputDecl(BaseModel):
    """An output in full form: the value it returns, and whether only training uses it
    (auxiliary heads, EncNet's SE-loss head): ``aux: {from: aux_head, train: true}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str = Field(alias="from")
    train: bool = False


class SpecFile(BaseModel):
    """The top level of a spec file."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    segkit: int = Field(description="spec format version (1)")
    name: str
    description: str = ""
    extends: Union[str, None] = None
    params: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    nodes: dict[str, Union[dict[str, Any], None]] = {}
    outputs: Union[dict[str, Union[str, OutputDecl, None]], list[str], str] = {}
    checks: list[CheckDecl] = Field([], description="conditions the params must meet (segkit/lang/checks.py)")

    @field_validator("segkit")
    @classmethod
    def known_version(cls, v):
        if v != FORMAT_VERSION:
            raise ValueError(f"unsupported spec format version {v}; this segkit reads version {FORMAT_VERSION}")
        return v


@dataclass
class Spec:
    """A loaded (and ``extends``-merged) spec: plain data plus source locations.

    ``origin`` records, for each top-level path, which file provided it (for
    ``segkit merge``).
    """

    data: dict
    locs: LocMap
    path: Path | None = None
    bases: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def description(self) -> str:
        return self.data.get("description", "")

    @property
    def params(self) -> dict:
        return self.data.get("params") or {}

    @property
    def inputs(self) -> dict[str, InputDecl]:
        out = {}
        for name, decl in (self.data.get("inputs") or {}).items():
            if isinstance(decl, dict):
                out[name] = InputDecl(**decl)
            else:
                out[name] = InputDecl(channels=decl)
        return out

    @cached_property
    def nodes(self) -> dict[str, dict]:
        """Node id -> raw node (``null`` nodes, disabled by an ``extends``, left out).
        Cached: the resolver looks nodes up once per reference, and rebuilding the dict
        each time made resolving quadratic in the node count; ``data`` is not changed
        after loading."""
        return {k: v for k, v in (self.data.get("nodes") or {}).items() if v is not None}

    @property
    def outputs(self) -> dict[str, str]:
        """Output name -> the reference it returns."""
        raw = self.data.get("outputs") or {}
        if isinstance(raw, str):
            return {"out": raw}
        if isinstance(raw, list):
            return {str(r): r for r in raw}
        return {name: ref["from"] if isinstance(ref, dict) else ref for name, ref in raw.items() if ref is not None}

    @property
    def train_outputs(self) -> set[str]:
        """Names of the outputs only training uses (``train: true``)."""
        raw = self.data.get("outputs") or {}
        if not isinstance(raw, dict):
            return set()
        return {name for name, ref in raw.items() if isinstance(ref, dict) and ref.get("train")}

    def loc(self, *path):
        return self.locs.at(tuple(path))


def validate_spec_data(data, locs: LocMap) -> None:
    """Check spec data against the file schema; errors carry locations from ``locs``."""
    if not isinstance(data, dict):
        raise SpecSchemaError("a spec is a YAML mapping with keys segkit, name, inputs, nodes, outputs",
                              locs.at(()))
    _check_sizes(data, locs)
    try:
        SpecFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in ("int", "str", "InputDecl", "none", "dict[str,any]", "list[str]", "dict[str,str]")))
        path = tuple(p for p in path if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        message = err["msg"]
        hint = None
        if err["type"] == "extra_forbidden":
            key = path[-1]
            known = SpecFile.model_fields if len(path) == 1 else InputDecl.model_fields
            message = f"unknown key {key!r}"
            hint = did_you_mean(key, known) or f"allowed keys: {', '.join(known)}"
        elif err["type"] == "missing":
            message = f"missing required key {path[-1]!r}"
            path = path[:-1]
        else:
            message = f"{'.'.join(map(str, path))}: {message}"
        raise SpecSchemaError(message, locs.at(path), hint) from None
    for node_id, node in (data.get("nodes") or {}).items():
        if not IDENT.match(str(node_id)):
            raise SpecSchemaError(f"node id {node_id!r} must be an identifier (letters, digits, _)",
                                  locs.at(("nodes", node_id)))
        if node is not None and "block" not in node and not data.get("extends"):
            raise SpecSchemaError(f"node {node_id!r} has no 'block'", locs.at(("nodes", node_id)),
                                  "every node calls a block: {block: conv, from: x, out: 64}")
    for name, decl in (data.get("inputs") or {}).items():
        _validate_input(name, decl, locs)
        if not IDENT.match(str(name)):
            raise SpecSchemaError(f"input name {name!r} must be an identifier", locs.at(("inputs", name)))
        if name in (data.get("nodes") or {}):
            raise SpecSchemaError(f"{name!r} is both an input and a node", locs.at(("nodes", name)))


def _check_sizes(data: dict, locs: LocMap) -> None:
    """Refuse a section (nodes, params, ...) of more than MAX_ENTRIES entries, at the
    first entry over the limit: resolving is linear or worse in them."""
    for key, section in data.items():
        if isinstance(section, (dict, list)) and len(section) > MAX_ENTRIES:
            over = list(section)[MAX_ENTRIES] if isinstance(section, dict) else MAX_ENTRIES
            raise SpecSchemaError(f"{key!r} has {len(section):,} entries; a spec may have at most {MAX_ENTRIES:,}",
                                  locs.at((key, over)), "repeat a node (repeat: N) or call a block instead")


def _validate_input(name, decl, locs: LocMap) -> None:
    """An input is a channel count (int or ${expr}), null (any, for blocks), or an InputDecl."""
    path = ("inputs", name)
    if decl is None or (isinstance(decl, str) and decl.startswith("${")):
        return
    if isinstance(decl, int) and not isinstance(decl, bool):
        if decl < 1:
            raise SpecSchemaError(f"input {name!r} needs a positive channel count, got {decl}", locs.at(path))
        return
    if not isinstance(decl, dict):
        raise SpecSchemaError(f"input {name!r} needs a positive channel count or a mapping "
                              f"{{channels, rank, size}}, got {decl!r}", locs.at(path))
    try:
        InputDecl.model_validate(decl)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = err["loc"][0] if err["loc"] else None
        if err["type"] == "extra_forbidden":
            raise SpecSchemaError(f"unknown key {key!r} in input {name!r}", locs.at(path + (key,)),
                                  did_you_mean(key, InputDecl.model_fields) or
                                  f"allowed keys: {', '.join(InputDecl.model_fields)}") from None
        raise SpecSchemaError(f"input {name!r}: {key}: {err['msg']}", locs.at(path + ((key,) if key else ())),
                              ) from None


def load_spec(source, registry=None, _chain: tuple = ()) -> Spec:
    """Load a spec from a path, YAML text, or a spec name that ``registry`` knows;
    merges ``extends``."""
    if isinstance(source, Spec):
        return source
    path = None
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and
                                    (source.endswith((".yaml", ".yml")) or Path(source).is_file())):
        path = Path(source)
        data, locs = load_yaml_file(path)
    elif isinstance(source, str) and ":" not in source and "\n" not in source:
        path = spec_registry(registry, source, SourceLoc(source)).spec_path(source, SourceLoc(source))
        data, locs = load_yaml_file(path)
    else:
        data, locs = load_yaml(str(source))
    validate_spec_data(data, locs)
    spec = Spec(data, locs, path)
    if data.get("extends"):
        spec = merge_extends(spec, registry, lambda base, chain: load_spec(base, registry, chain), _chain)
        validate_spec_data(spec.data, spec.locs)
    return spec

"""Read YAML with safe semantics while keeping the file/line/column of every value.

Values come back as plain dicts, lists and scalars; their locations live in a
``LocMap`` keyed by YAML path (``("nodes", "enc", "depth")``), which survives merging
(``extends``) and lets pydantic's error paths be turned back into source locations.
Only the tags of ``yaml.safe_load`` are accepted; duplicate keys are errors. A file
must pass the input limits of ``segkit.lang.limits`` (size, characters, nesting, number
of values, aliases included) before it is composed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from segkit.errors import SourceLoc, SpecSyntaxError
from segkit.lang.limits import (
    MAX_DEPTH,
    MAX_VALUES,
    YAML_LOADER,
    check_characters,
    check_structure,
    mark_loc,
    read_spec_text,
)


@dataclass
class LocMap:
    """Source locations of a loaded document, by YAML path."""

    file: str
    locs: dict[tuple, SourceLoc] = field(default_factory=dict)

    def at(self, path: tuple) -> SourceLoc:
        """Location of ``path``, or of its nearest located ancestor."""
        path = tuple(path)
        probe = path
        found = self.locs.get(path)
        if found is not None:
            return SourceLoc(found.file, found.line, found.column, path)
        while probe not in self.locs and probe:
            probe = probe[:-1]
        found = self.locs.get(probe, SourceLoc(self.file, 0, 0))
        return SourceLoc(found.file, found.line, found.column, path)

    def graft(self, other: "LocMap", src: tuple = (), dst: tuple = ()) -> None:
        """Copy ``other``'s locations under ``src`` to live under ``dst`` here."""
        n = len(src)
        for path, loc in other.locs.items():
            if path[:n] == src:
                self.locs[dst + path[n:]] = loc


_SAFE_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


def _short(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag


def _loc(file: str, node: yaml.Node, path: tuple) -> SourceLoc:
    return mark_loc(file, node.start_mark, path)


class _Converter:
    """Turns composed YAML nodes into plain values, recording locations; counts every
    value it makes (an alias counts each time it is used) and refuses an alias used
    inside the collection it names, so neither "billion laughs" nor a recursive alias
    can exhaust memory or the stack."""

    def __init__(self, file: str, locs: dict):
        self.file = file
        self.locs = locs
        self.constructor = yaml.SafeLoader("")
        self.values = 0
        self.open: set[int] = set()

    def convert(self, node: yaml.Node, path: tuple, locs: dict | None = None) -> object:
        locs = self.locs if locs is None else locs
        file = self.file
        locs[path] = _loc(file, node, path)
        self.values += 1
        if self.values > MAX_VALUES:
            raise SpecSyntaxError(f"the spec expands to more than {MAX_VALUES:,} YAML values",
                                  _loc(file, node, path), "an alias (*name) counts each time it is used")
        if len(path) > MAX_DEPTH:
            raise SpecSyntaxError(f"YAML nested more than {MAX_DEPTH} levels deep (through aliases)",
                                  _loc(file, node, path))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.open:
            raise SpecSyntaxError("recursive YAML alias: a collection contains itself", _loc(file, node, path))
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path, locs)
            return self.sequence(node, path, locs)
        finally:
            self.open.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: tuple, locs: dict) -> dict:
        file = self.file
        if node.tag != "tag:yaml.org,2002:map":
            raise SpecSyntaxError(f"tag {_short(node.tag)} is not allowed; specs use plain YAML",
                                  _loc(file, node, path))
        out: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise SpecSyntaxError("YAML merge keys ('<<') are not supported; use 'extends'",
                                      _loc(file, key_node, path))
            if not isinstance(key_node, yaml.ScalarNode):
                raise SpecSyntaxError("mapping keys must be plain scalars", _loc(file, key_node, path))
            key = self.convert(key_node, path + ("<key>",), {})
            if key in out:
                raise SpecSyntaxError(f"duplicate key {key!r}", _loc(file, key_node, path + (key,)),
                                      hint=f"{key!r} is already defined above in this mapping")
            out[key] = self.convert(value_node, path + (key,), locs)
            locs[path + (key,)] = _loc(file, key_node, path + (key,))
        return out

    def sequence(self, node: yaml.SequenceNode, path: tuple, locs: dict) -> list:
        if node.tag != "tag:yaml.org,2002:seq":
            raise SpecSyntaxError(f"tag {_short(node.tag)} is not allowed; specs use plain YAML",
                                  _loc(self.file, node, path))
        return [self.convert(item, path + (i,), locs) for i, item in enumerate(node.value)]

    def scalar(self, node: yaml.ScalarNode, path: tuple) -> object:
        if node.tag not in _SAFE_SCALAR_TAGS:
            raise SpecSyntaxError(f"tag {_short(node.tag)} is not allowed; specs use plain YAML",
                                  _loc(self.file, node, path))
        try:
            value = self.constructor.construct_object(node, deep=True)
        except ValueError as exc:  # an integer of more digits than Python converts
            raise SpecSyntaxError(f"a number of {len(node.value):,} characters is too long for a spec"
                                  if node.tag == "tag:yaml.org,2002:int" else f"invalid value: {exc}",
                                  _loc(self.file, node, path)) from None
        if isinstance(value, str):
            bad = _UNSPEAKABLE.search(value)
            if bad is not None:
                raise SpecSyntaxError(f"a string holds the character U+{ord(bad.group()):04X}, which a spec may "
                                      "not contain (NUL or a lone surrogate)", _loc(self.file, node, path))
        return value


_UNSPEAKABLE = re.compile("[\x00\ud800-\udfff]")
"""Characters an escape ("\\0", "\\ud800") can put in a string that no file name, log or
terminal can take."""


def load_yaml(text: str, file: str = "<string>") -> tuple[object, LocMap]:
    """Parse ``text`` into plain Python values and their source locations, within the
    limits of ``segkit.lang.limits``."""
    check_characters(text, file)
    check_structure(text, file)
    locs: dict[tuple, SourceLoc] = {}
    try:
        docs = list(yaml.compose_all(text, Loader=YAML_LOADER))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = mark_loc(file, mark) if mark else SourceLoc(file)
        raise SpecSyntaxError(f"malformed YAML: {exc.problem or exc.context}", loc) from None
    except yaml.YAMLError as exc:
        raise SpecSyntaxError(f"malformed YAML: {exc}", SourceLoc(file)) from None
    if len(docs) > 1:
        raise SpecSyntaxError("a spec file holds exactly one YAML document", _loc(file, docs[1], ()))
    if not docs or docs[0] is None:
        return None, LocMap(file, {(): SourceLoc(file, 1, 1)})
    try:
        value = _Converter(file, locs).convert(docs[0], ())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise SpecSyntaxError(f"invalid value: {exc.problem}", mark_loc(file, mark)) from None
    return value, LocMap(file, locs)


def load_yaml_file(path: str | Path) -> tuple[object, LocMap]:
    """Read and parse a YAML file; a missing, unreadable, special or oversized file is a
    located error, raised before anything is read from a FIFO or device."""
    path = Path(path)
    return load_yaml(read_spec_text(path), str(path))

"""Read YAML with safe semantics while keeping the file/line/column of every value.

Values come back as plain dicts, lists and scalars; their locations live in a
``LocMap`` keyed by YAML path (``("nodes", "enc", "depth")``), which survives merging
(``extends``) and lets pydantic's error paths be turned back into source locations.
Only the tags of ``yaml.safe_load`` are accepted; duplicate keys are errors.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from segkit.errors import SourceLoc, SpecSyntaxError


@dataclass
class LocMap:
    """Source locations of a loaded document, by YAML path."""

    file: str
    locs: dict[tuple, SourceLoc] = field(default_factory=dict)

    def at(self, path: tuple) -> SourceLoc:
        """Location of ``path``, or of its nearest located ancestor."""
        path = tuple(path)
        probe = path
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
    mark = node.start_mark
    return SourceLoc(file, mark.line + 1, mark.column + 1, path)


def _convert(node: yaml.Node, file: str, path: tuple, locs: dict, constructor) -> object:
    locs[path] = _loc(file, node, path)
    if isinstance(node, yaml.MappingNode):
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
            key = _convert(key_node, file, path + ("<key>",), {}, constructor)
            if key in out:
                raise SpecSyntaxError(f"duplicate key {key!r}", _loc(file, key_node, path + (key,)),
                                      hint=f"{key!r} is already defined above in this mapping")
            out[key] = _convert(value_node, file, path + (key,), locs, constructor)
            locs[path + (key,)] = _loc(file, key_node, path + (key,))
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            raise SpecSyntaxError(f"tag {_short(node.tag)} is not allowed; specs use plain YAML",
                                  _loc(file, node, path))
        return [_convert(item, file, path + (i,), locs, constructor) for i, item in enumerate(node.value)]
    if node.tag not in _SAFE_SCALAR_TAGS:
        raise SpecSyntaxError(f"tag {_short(node.tag)} is not allowed; specs use plain YAML",
                              _loc(file, node, path))
    return constructor.construct_object(node, deep=True)


def load_yaml(text: str, file: str = "<string>") -> tuple[object, LocMap]:
    """Parse ``text`` into plain Python values and their source locations."""
    locs: dict[tuple, SourceLoc] = {}
    try:
        docs = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = SourceLoc(file, mark.line + 1, mark.column + 1) if mark else SourceLoc(file)
        raise SpecSyntaxError(f"malformed YAML: {exc.problem or exc.context}", loc) from None
    except yaml.YAMLError as exc:
        raise SpecSyntaxError(f"malformed YAML: {exc}", SourceLoc(file)) from None
    if len(docs) > 1:
        raise SpecSyntaxError("a spec file holds exactly one YAML document", _loc(file, docs[1], ()))
    if not docs or docs[0] is None:
        return None, LocMap(file, {(): SourceLoc(file, 1, 1)})
    constructor = yaml.SafeLoader("")
    try:
        value = _convert(docs[0], file, (), locs, constructor)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise SpecSyntaxError(f"invalid value: {exc.problem}",
                              SourceLoc(file, mark.line + 1, mark.column + 1)) from None
    return value, LocMap(file, locs)


def load_yaml_file(path: str | Path) -> tuple[object, LocMap]:
    """Read and parse a YAML file; a missing or unreadable file is a located error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecSyntaxError(f"cannot read spec: {exc.strerror if isinstance(exc, OSError) else exc}",
                              SourceLoc(str(path))) from None
    return load_yaml(text, str(path))

"""Input limits for spec files: what a hostile or broken file meets before it is parsed.

A spec is a small text file (the largest shipped one has about 600 YAML values, nested
6 deep); these limits are far above that and far below what would take a second or
200 MB to refuse. Each check fails with a located SpecSyntaxError:

- the file must be a regular file (a FIFO would block, ``/dev/zero`` never ends) of at
  most ``MAX_FILE_BYTES``, read without reading past the cap;
- its bytes must be UTF-8, and its text free of characters YAML forbids (NUL, lone
  surrogates from a command line, other control characters), located at line:col;
- its YAML may nest at most ``MAX_DEPTH`` collections and hold at most ``MAX_VALUES``
  values, counted on libyaml's event stream (fast, and not recursive) before the
  slower composer builds nodes; the loader counts again while expanding aliases;
- a section (``nodes``, ``params``, ...) may hold at most ``MAX_ENTRIES`` entries (the
  schema checks it: resolving costs more than linear time in them).
"""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import yaml

from segkit.errors import SourceLoc, SpecSyntaxError

MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 64
MAX_VALUES = 20_000
MAX_ENTRIES = 1_000

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader where PyYAML has it (several times faster), else the pure-Python one."""

_FORBIDDEN = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters YAML does not allow in a stream (its ``c-printable`` complement)."""


def read_spec_text(path: Path) -> str:
    """The text of the spec file ``path``: a regular UTF-8 file of at most MAX_FILE_BYTES."""
    file = str(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise SpecSyntaxError(f"cannot read spec: not a regular file ({_kind(info.st_mode)})", SourceLoc(file))
        if info.st_size > MAX_FILE_BYTES:
            raise SpecSyntaxError(_too_big(info.st_size), SourceLoc(file))
        with open(path, "rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SpecSyntaxError(f"cannot read spec: {exc.strerror or exc}", SourceLoc(file)) from None
    if len(data) > MAX_FILE_BYTES:  # it grew after the stat
        raise SpecSyntaxError(_too_big(len(data)), SourceLoc(file))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[start:exc.start].decode("utf-8", errors="replace")) + 1
        raise SpecSyntaxError(f"cannot read spec: byte 0x{data[exc.start]:02x} is not UTF-8 text",
                              SourceLoc(file, line, column), "a spec is a UTF-8 text file") from None


def check_characters(text: str, file: str) -> None:
    """Refuse the first character YAML does not allow, at its line and column."""
    bad = _FORBIDDEN.search(text)
    if bad is not None:
        raise SpecSyntaxError(f"character U+{ord(bad.group()):04X} is not allowed in a spec",
                              offset_loc(text, bad.start(), file))


def check_structure(text: str, file: str) -> None:
    """Refuse YAML nested deeper than MAX_DEPTH or holding more than MAX_VALUES values.

    Malformed YAML is left to the composer, which reports it; this pass only stops
    early at a limit."""
    depth = values = 0
    try:
        for event in yaml.parse(text, Loader=YAML_LOADER):
            if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.CollectionStartEvent)):
                values += 1
                if values > MAX_VALUES:
                    raise SpecSyntaxError(f"the spec holds more than {MAX_VALUES:,} YAML values",
                                          mark_loc(file, event.start_mark), "a spec is a small file")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise SpecSyntaxError(f"YAML nested more than {MAX_DEPTH} levels deep",
                                          mark_loc(file, event.start_mark))
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return


def mark_loc(file: str, mark, path: tuple = ()) -> SourceLoc:
    """A YAML mark (0-based) as a SourceLoc (1-based)."""
    return SourceLoc(file, mark.line + 1, mark.column + 1, path)


def offset_loc(text: str, offset: int, file: str) -> SourceLoc:
    """The line and column of character ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return SourceLoc(file, line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def _too_big(size: int) -> str:
    return f"cannot read spec: {size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit for a spec file"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"

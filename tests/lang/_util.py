"""Helpers shared by the spec tests (inline YAML specs, locating text, isolated runs)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "specs" / "examples").glob("*.yaml"))
EXAMPLE_NAMES = [f"examples/{p.stem}" for p in EXAMPLES]


def spec(nodes: str, outputs: str = "{out: a}", inputs: str = "{x: 3}", params: str = "{}",
         name: str = "t", extra: str = "") -> str:
    """A small spec as YAML text; ``nodes`` is the indented body of ``nodes:``."""
    nodes = textwrap.indent(textwrap.dedent(nodes).strip("\n"), "  ")
    return (f"segkit: 1\nname: {name}\nparams: {params}\ninputs: {inputs}\nnodes:\n{nodes}\n"
            f"outputs: {outputs}\n{extra}")


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    seen = 0
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in text")


def col_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based column of ``needle`` on the line that holds it."""
    line = text.splitlines()[line_of(text, needle, occurrence) - 1]
    return line.index(needle) + 1


def pos_of(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    return line_of(text, needle, occurrence), col_of(text, needle, occurrence)


def run_python(code: str, timeout: float = 20, memory_mb: int = 1024) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with a time and address-space limit, so a
    test of a runaway computation fails instead of hanging or exhausting memory."""
    def limit():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                          preexec_fn=limit, env=env, cwd=REPO)


def example_data(path: Path) -> dict:
    return yaml.safe_load(path.read_text())

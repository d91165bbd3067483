"""The dynamic-export verdict of every shipped spec, as one markdown table.

    python benchmarks/dynamic_export_table.py [PYTEST ARGS...]

Runs the slow test that exports every shipped spec with
``segkit.export(..., dynamic=True)`` to ONNX and to an ExportedProgram
(``pytest -m slow tests/export/test_dynamic.py``, with ``-s`` so that its output is
seen), reads the one verdict line each case prints, and prints a row per spec: for each
format, exported (the rule stored in the file, and the sizes it was checked at:
onnxruntime for ONNX, ``torch.export.load`` for the ExportedProgram) or refused (the
nodes the lint names and why). Then pytest's summary line: the table and the test's
verdict come from one run. Extra arguments go to pytest (e.g. ``-k unet``).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERDICT = "DYNAMIC-EXPORT-VERDICT"  # as tests/export/test_dynamic.py prints it
FORMATS = {"onnx": "ONNX dynamic (onnxruntime)", "exported-program": "ExportedProgram dynamic (torch.export.load)"}


def cell(verdict: dict | None) -> str:
    """One format's verdict for one spec, as a table cell."""
    if verdict is None:
        return "no verdict (the case failed before printing one; see pytest's output)"
    if "refused" in verdict:
        nodes = ", ".join(f"`{n}`" for n in verdict["nodes"])
        reason = verdict["refused"].split("; /")[0]  # not the temporary path "was not written" names
        return f"refused: {nodes + ': ' if nodes else ''}{reason}".replace("|", "\\|")
    sizes = ", ".join("x".join(map(str, size)) for size in verdict["sizes"])
    guards = "; guards checked when it runs" if verdict["runtime_guards"] else ""
    return f"exported: {verdict['rule']}; checked at {sizes}{guards}"


def table(verdicts: list[dict], every_spec: bool) -> list[str]:
    """The markdown rows: a spec per row (every shipped spec, or those with a verdict),
    a format per column."""
    by_case = {(v["spec"], v["format"]): v for v in verdicts}
    specs = sorted(p.name for p in (ROOT / "specs").glob("*.yaml"))
    rows = [f"| spec | {' | '.join(FORMATS.values())} |", "|---" * (len(FORMATS) + 1) + "|"]
    rows += [f"| {spec} | {' | '.join(cell(by_case.get((spec, fmt))) for fmt in FORMATS)} |" for spec in specs
             if every_spec or any((spec, fmt) in by_case for fmt in FORMATS)]
    return rows


def main(args: list[str]) -> int:
    command = [sys.executable, "-m", "pytest", "-m", "slow", "tests/export/test_dynamic.py",  # -q: addopts
               "-p", "no:cacheprovider", "-s", "-k", "every_shipped_spec_exports", *args]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = run.stdout.splitlines()
    verdicts = [json.loads(line.split(VERDICT, 1)[1]) for line in lines if VERDICT in line]
    print("\n".join(table(verdicts, every_spec=not args)))
    summary = next((line for line in reversed(lines) if " in " in line and ("passed" in line or "failed" in line)),
                   lines[-1] if lines else run.stderr.strip())
    print(f"\n`{' '.join(command[1:])}`: {summary.strip('= ')}")
    if run.returncode:
        print("\n" + "\n".join(line for line in lines if VERDICT not in line), file=sys.stderr)
    return run.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

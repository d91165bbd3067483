"""`segkit check SPEC` as a whole process (interpreter start included), against the
floor set by what it imports: the same interpreter importing pydantic, PyYAML, click,
pluggy and rich's table and reading the installed entry points, nothing of segkit. The
two alternate, run by run; each pair gives one ratio.

    python benchmarks/check_startup.py [--spec specs/refinenet.yaml] [--runs 15] [--baseline DIR]

``--baseline DIR``: compare with another checkout of segkit (its ``segkit`` package put
first on PYTHONPATH) instead of the floor. Prints the median wall time of each side, its
quartiles, and the median ratio with its quartiles. Not part of the test suite; figures
go to docs/performance.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = ("from pydantic import BaseModel; import yaml, click, pluggy, importlib.metadata as m; "
         "m.entry_points(group='segkit'); from rich.console import Console; from rich.table import Table")


def wall(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    # run outside the checkout, so that `python -m segkit` imports the segkit PYTHONPATH names
    subprocess.run(command, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - start


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(values, n=4)
    return q1, median, q3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec", default="specs/refinenet.yaml")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline", help="another segkit checkout to compare with, instead of the floor")
    args = parser.parse_args()
    check = [sys.executable, "-m", "segkit", "check", str((ROOT / args.spec).resolve())]
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed segkit has its bytecode
    if args.baseline:
        reference, ref_env, name = check, {**env, "PYTHONPATH": str(Path(args.baseline).resolve())}, "baseline"
    else:
        reference, ref_env, name = [sys.executable, "-c", FLOOR], env, "import floor"
    wall(check, env), wall(reference, ref_env)  # warm the file cache and write bytecode
    ours, theirs = [], []
    for _ in range(args.runs):
        ours.append(wall(check, env))
        theirs.append(wall(reference, ref_env))
    ratios = [a / b for a, b in zip(ours, theirs)]
    for label, values in (("segkit check", ours), (name, theirs)):
        q1, median, q3 = quartiles(values)
        print(f"{label}: median {median:.3f} s wall (quartiles {q1:.3f}-{q3:.3f}), {args.runs} runs")
    q1, median, q3 = quartiles(ratios)
    print(f"ratio: {median:.2f} (quartiles {q1:.2f}-{q3:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

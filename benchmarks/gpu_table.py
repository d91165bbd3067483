"""The one markdown table of benchmarks/gpu.sh, from the outputs of its three parts.

    python benchmarks/gpu_table.py WORKDIR SECONDS

WORKDIR holds tests.txt (pytest -m cuda), bench.txt (bench_vs_reference.py
--markdown) and train.txt (train_vs_handwritten.py --variants); a part that failed or
ran out of time shows its last line instead of figures.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

HEADER = ["| case | pass | input | spec ms | reference ms | spec / reference | quartiles |",
          "|---|---|---|---:|---:|---:|---|"]


def last(text: str) -> str:
    """The last line before the ``NAME: exit N`` line gpu.sh appends."""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-2] if len(lines) > 1 else "no output"


def table(tests: str, bench: str, train: str) -> list[str]:
    rows = list(HEADER)
    summary = re.search(r"=* ?(\d+ (?:passed|failed|skipped)[^=\n]*?) in [\d.]+s", tests)
    rows.append(f"| CUDA tests | pytest -m cuda | - | - | - | {summary.group(1) if summary else last(tests)} | |")
    found = [line for line in bench.splitlines() if line.startswith("| ") and not line.startswith("| case")]
    rows += found or [f"| spec vs torchvision | - | - | - | - | {last(bench)} | |"]
    crop = re.search(r"crop (\S+),", train)
    crop = crop.group(1) if crop else "-"
    plain = re.search(r"Trainer\.step ([\d.]+) ms, hand-written ([\d.]+) ms: ratio ([\d.]+) \(quartiles ([\d.-]+)",
                      train)
    if plain is None:
        return rows + [f"| training steps | train | - | - | - | {last(train)} | |"]
    step, hand, ratio, spread = plain.groups()
    rows.append(f"| Trainer.step vs hand-written loop | train | {crop} | {step} | {hand} | {ratio} | {spread} |")
    for stage, flag, ms, ref, ratio, spread in re.findall(r"^(eval )?--([\w-]+): ([\d.]+) ms vs ([\d.]+) ms plain: "
                                                          r"ratio ([\d.]+) \(quartiles ([\d.-]+)\)", train, re.M):
        what, unit = ("eval", "batches/s") if stage else ("Trainer", "steps/s")
        rows.append(f"| {what} --{flag} ({1000 / float(ms):.1f} {unit}) vs plain ({1000 / float(ref):.1f} "
                    f"{unit}) | {what.lower() if stage else 'train'} | {crop} | {ms} | {ref} | {ratio} | {spread} |")
    return rows


def main() -> int:
    import torch

    work, seconds = Path(sys.argv[1]), sys.argv[2]
    tests, bench, train = ((work / name).read_text() for name in ("tests.txt", "bench.txt", "train.txt"))
    print(f"segkit on {torch.cuda.get_device_name(0)}, torch {torch.__version__}, {seconds} s\n")
    print("\n".join(table(tests, bench, train)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

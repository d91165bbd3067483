"""Run logs of rank 0: ``metrics.csv`` (always), TensorBoard events (when the
``tensorboard`` package is importable), ``curves.png``, and console progress that
uses rich progress bars on a terminal and plain lines elsewhere (CI, pipes)."""
from __future__ import annotations

import csv
import io
import os
import time
from pathlib import Path

from segkit.train.plot import plot_curves

# torch is imported inside functions (as is rich), so that importing this module, and so
# `segkit check`, stays torch-free.


COLUMNS = ["epoch", "iteration", "lr", "train_loss", "val_miou", "val_pixel_acc", "val_fw_iou", "epoch_s", "elapsed_s"]


class RunLog:
    """metrics.csv, TensorBoard and curves.png under ``out``; rewritten from the full
    history each epoch, so a resumed run's files hold exactly the epochs it kept."""

    def __init__(self, out: Path, enabled: bool = True, purge_step: int | None = None):
        self.out = Path(out)
        self.enabled = enabled
        self.writer = None
        if not enabled:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        try:
            from torch.utils.tensorboard import SummaryWriter
        except Exception:  # tensorboard not installed: skip silently
            SummaryWriter = None
        if SummaryWriter is not None:
            self.writer = SummaryWriter(str(self.out / "tensorboard"), purge_step=purge_step)

    def scalar(self, tag: str, value: float, step: int) -> None:
        if self.writer is not None:
            self.writer.add_scalar(tag, value, step)

    def epoch(self, history: list[dict]) -> None:
        if not self.enabled:
            return
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in history:
            writer.writerow({k: _fmt(row.get(k)) for k in COLUMNS})
        path = self.out / "metrics.csv"
        tmp = path.with_name(".metrics.csv.tmp")
        tmp.write_text(buffer.getvalue())
        os.replace(tmp, path)
        row = history[-1]
        for key in ("train_loss", "val_miou", "val_pixel_acc", "val_fw_iou"):
            if row.get(key) is not None:
                self.scalar(f"epoch/{key}", row[key], row["epoch"])
        if self.writer is not None:
            self.writer.flush()

        plot_curves(history, self.out / "curves.png")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _fmt(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # full precision: the CSV is also read back by tests and tools
    return value


def read_metrics(path) -> list[dict]:
    """The rows of a metrics.csv, numbers converted."""
    rows = []
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            rows.append({k: (float(v) if v not in ("", None) else None) for k, v in row.items()})
    return rows


class Progress:
    """A rich progress bar on a terminal; on anything else a line every ``every``
    seconds and one at the end of each task."""

    def __init__(self, console, enabled: bool = True, every: float = 30.0):
        self.console = console
        self.enabled = enabled
        self.live = enabled and console.is_terminal
        self.every = every
        self._bar = None

    def __enter__(self):
        if self.live:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
                            console=self.console, transient=True)
            self._bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
            self._bar = None

    def task(self, description: str, total: int) -> "Task":
        return Task(self, description, total)


class Task:
    def __init__(self, progress: Progress, description: str, total: int):
        self.progress = progress
        self.description = description
        self.total = total
        self.done = 0
        self.info = ""
        self.last = time.monotonic()
        self.id = None
        if progress._bar is not None:
            self.id = progress._bar.add_task(description, total=total, info="")

    def advance(self, info: str = "") -> None:
        self.done += 1
        self.info = info or self.info
        if not self.progress.enabled:
            return
        if self.id is not None:
            self.progress._bar.update(self.id, advance=1, info=self.info)
        elif time.monotonic() - self.last >= self.progress.every and self.done < self.total:
            self.last = time.monotonic()
            self.progress.console.print(f"  {self.description} {self.done}/{self.total} {self.info}", highlight=False,
                                        soft_wrap=True)

    def finish(self) -> None:
        if self.id is not None:
            self.progress._bar.remove_task(self.id)

"""Rich tables of evaluation results."""
from __future__ import annotations

import math

# rich is imported inside functions: optional for what most callers do.



def _pct(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{100 * value:.2f}"


def iou_table(matrix, class_names, title: str = "evaluation"):
    """Per-class IoU / accuracy / pixels, then mIoU, pixel accuracy, mean accuracy and
    fwIoU, as percentages."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("class")
    table.add_column("IoU %", justify="right")
    table.add_column("acc %", justify="right")
    table.add_column("pixels", justify="right")
    names = list(class_names) if len(class_names) == matrix.num_classes else [str(i) for i in range(matrix.num_classes)]
    for row in matrix.table(names):
        table.add_row(row["class"], _pct(row["iou"]), _pct(row["accuracy"]), f"{row['pixels']:,}")
    table.add_section()
    summary = matrix.summary()
    table.add_row("mIoU", _pct(summary["miou"]), "", "", style="bold")
    table.add_row("pixel accuracy", _pct(summary["pixel_accuracy"]), "", "")
    table.add_row("mean accuracy", _pct(summary["mean_accuracy"]), "", "")
    table.add_row("fwIoU", _pct(summary["fw_iou"]), "", "")
    return table

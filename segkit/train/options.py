"""Command-line values of train/eval/predict, parsed into plain data (no torch)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from segkit.errors import InputError, SourceLoc

CHECK_LEVELS = ("headers", "labels", "full")
"""``--check-data`` levels: image and mask headers; image headers and every mask
decoded and its labels checked (the datasets' default); every image decoded too."""


@dataclass
class DataArg:
    """``--data NAME[:path]`` plus ``--data-opt k=v`` options."""

    name: str = "synthetic"
    path: str | None = None
    options: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name + (f":{self.path}" if self.path else "")


def parse_data(text: str | None, options: tuple[str, ...] = ()) -> DataArg:
    """``synthetic``, ``voc:/data/VOCdevkit``, ``folder:./mydata`` (a Windows drive
    letter after the colon is kept: ``folder:C:/data``)."""
    text = (text or "synthetic").strip()
    name, sep, path = text.partition(":")
    if not name:
        raise InputError(f"--data takes NAME[:path], got {text!r}", SourceLoc("--data"),
                         "e.g. --data synthetic or --data voc:/data/VOCdevkit")
    return DataArg(name, path if sep and path else None, parse_kv(options, "--data-opt"))


def parse_kv(items: tuple[str, ...], option: str) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{option} takes name=value, got {item!r}", SourceLoc(option))
        out[key.strip()] = value.strip()
    return out


def parse_hw(text: str | None, option: str) -> tuple[int, int] | None:
    """``512`` or ``512x1024`` (H x W) -> (H, W)."""
    if text is None or text == "":
        return None
    parts = text.lower().replace(",", "x").split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) == 1:
        values *= 2
    if len(values) != 2 or min(values) < 1:
        raise InputError(f"{option} takes HxW (or one number for a square), got {text!r}", SourceLoc(option),
                         f"e.g. {option} 512x512")
    return values[0], values[1]


def parse_numbers(text: str, option: str, what: str, fits, example: str) -> list[float]:
    """``1,2.5,0.5`` -> [1.0, 2.5, 0.5], finite numbers that ``fits(values)`` accepts; an
    empty part (``1,,2``, a trailing comma) is an error like any other non-number, rather
    than a value silently dropped. The error says ``option`` takes ``what``."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        values = []
    if not values or not all(math.isfinite(v) for v in values) or not fits(values):
        raise InputError(f"{option} takes {what}, separated by commas, got {text!r}", SourceLoc(option),
                         f"e.g. {option} {example}")
    return values


def parse_floats(text: str | None, option: str) -> list[float]:
    """``0.75,1,1.25`` -> [0.75, 1.0, 1.25]: positive numbers ([1.0] when not given)."""
    if not text:
        return [1.0]
    return parse_numbers(text, option, "positive numbers", lambda values: min(values) > 0, "0.75,1,1.25")


def parse_weights(text: str | None, option: str) -> list[float] | None:
    """``1,2.5,0.5`` -> [1.0, 2.5, 0.5]: non-negative, not all zero (None when not
    given). Whether there is one per class is checked once the dataset is known."""
    if not text:
        return None
    return parse_numbers(text, option, "one non-negative number per class",
                         lambda values: min(values) >= 0 and any(values), "1,2.5,0.5")

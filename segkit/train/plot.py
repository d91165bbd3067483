"""A PNG of the training curves (loss per epoch, validation mIoU) drawn with Pillow's
ImageDraw, so no plotting library is needed."""
from __future__ import annotations

import math
from pathlib import Path

# Pillow is imported inside functions: optional for what most callers do.


WIDTH, HEIGHT = 560, 380
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 58, 14, 26, 36
COLOURS = {"train loss": (31, 119, 180), "val mIoU": (214, 39, 40)}


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t <= hi + 1e-9 * step:
        if t >= lo - 1e-9 * step:
            ticks.append(round(t, 10))
        t += step
    return ticks


def _panel(draw, box, title: str, xs: list, ys: list, colour, y_range=None) -> None:
    from PIL import ImageFont

    font = ImageFont.load_default()
    x0, y0, x1, y1 = box
    left, top, right, bottom = x0 + MARGIN_L, y0 + MARGIN_T, x1 - MARGIN_R, y1 - MARGIN_B
    draw.rectangle([left, top, right, bottom], outline=(0, 0, 0))
    draw.text((left, y0 + 6), title, fill=(0, 0, 0), font=font)
    points = [(x, y) for x, y in zip(xs, ys) if y is not None and math.isfinite(y)]
    if not points:
        draw.text((left + 8, top + 8), "no data yet", fill=(120, 120, 120), font=font)
        return
    xmin, xmax = min(p[0] for p in points), max(p[0] for p in points)
    if xmax == xmin:
        xmin, xmax = xmin - 1, xmax + 1
    if y_range:
        ymin, ymax = y_range
    else:
        ymin, ymax = min(p[1] for p in points), max(p[1] for p in points)
        pad = (ymax - ymin) * 0.05 or abs(ymax) * 0.05 or 1.0
        ymin, ymax = ymin - pad, ymax + pad

    def sx(x):
        return left + (x - xmin) / (xmax - xmin) * (right - left)

    def sy(y):
        return bottom - (y - ymin) / (ymax - ymin) * (bottom - top)

    for t in _ticks(ymin, ymax):
        y = sy(t)
        draw.line([left, y, right, y], fill=(225, 225, 225))
        draw.text((x0 + 4, y - 6), f"{t:.3g}", fill=(0, 0, 0), font=font)
    for t in _ticks(xmin, xmax):
        if float(t).is_integer():
            x = sx(t)
            draw.line([x, bottom, x, bottom + 4], fill=(0, 0, 0))
            draw.text((x - 6, bottom + 6), str(int(t)), fill=(0, 0, 0), font=font)
    draw.text(((left + right) // 2 - 14, y1 - 16), "epoch", fill=(0, 0, 0), font=font)
    scaled = [(sx(x), sy(y)) for x, y in points]
    if len(scaled) > 1:
        draw.line(scaled, fill=colour, width=2)
    for x, y in scaled:
        draw.ellipse([x - 2.5, y - 2.5, x + 2.5, y + 2.5], fill=colour)


def plot_curves(history: list[dict], path) -> bool:
    """Write ``path`` (PNG) with the loss and mIoU curves of ``history`` rows; False when
    Pillow is not installed."""
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        return False
    image = Image.new("RGB", (WIDTH, 2 * HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    epochs = [row["epoch"] for row in history]
    _panel(draw, (0, 0, WIDTH, HEIGHT), "train loss", epochs, [row.get("train_loss") for row in history],
           COLOURS["train loss"])
    _panel(draw, (0, HEIGHT, WIDTH, 2 * HEIGHT), "val mIoU", epochs, [row.get("val_miou") for row in history],
           COLOURS["val mIoU"], y_range=(0.0, 1.0))
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    image.save(tmp, format="PNG")
    tmp.replace(path)
    return True

"""``synthetic``: procedural shapes on textured backgrounds, the dataset that needs no
download (``segkit train --data synthetic``).

Five classes: background and four shapes (circle, rectangle, triangle, cross), each shape
in its own saturated hue with per-shape colour jitter and pixel noise, drawn over a
low-saturation background with a gradient, waves and noise. One to ``max_shapes`` shapes
per image, rotated and sized 12-25 % of the image side, later ones on top. Sample ``i``
is a pure function of ``(seed, split, i)``: the same on every run, worker and machine.

Options: ``size`` (int or (H, W), default 64), ``length`` (default 512 for train, 128 for
val/test), ``seed`` (default 0), ``max_shapes`` (default 4).
"""
from __future__ import annotations

import functools

import numpy as np

from segkit.data.base import SegDataset, parse_options
from segkit.errors import InputError, SourceLoc

COLOURS = np.array([(0, 0, 0), (220, 50, 50), (50, 190, 60), (50, 90, 225), (235, 205, 35)], dtype=np.float32)
SPLIT_CODES = {"train": 0, "val": 1, "test": 2}


@functools.lru_cache(maxsize=8)
def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return yy + 0.5, xx + 0.5


class SyntheticShapes(SegDataset):
    """Procedural shapes; see the module docstring."""

    name = "synthetic"
    num_classes = 5
    class_names = ["background", "circle", "rectangle", "triangle", "cross"]
    palette = [tuple(int(v) for v in c) for c in COLOURS]
    splits = ("train", "val", "test")
    default_lengths = {"train": 512, "val": 128, "test": 128}
    options = {"size": ("size", (64, 64)), "length": (int, None), "seed": (int, 0),
               "max_shapes": (int, 4), "validate": ("validate", True)}

    def __init__(self, split: str = "train", transform=None, size=(64, 64), length: int | None = None,
                 seed: int = 0, max_shapes: int = 4):
        self.check_split(split)
        super().__init__(split, transform)
        self.class_names = list(self.class_names)
        self.palette = list(self.palette)
        self.size = (size, size) if isinstance(size, int) else tuple(int(s) for s in size)
        self.length = self.default_lengths[split] if length is None else int(length)
        self.seed = int(seed)
        self.max_shapes = int(max_shapes)
        if min(self.size) < 8 or self.length < 0 or self.max_shapes < 1:
            raise InputError(f"synthetic needs size >= 8, length >= 0 and max_shapes >= 1 "
                             f"(got size={self.size}, length={self.length}, max_shapes={self.max_shapes})",
                             SourceLoc(file="--data"))

    @classmethod
    def open(cls, path: str | None, split: str, transform=None, **options) -> "SyntheticShapes":
        if path not in (None, ""):
            raise InputError("the synthetic dataset is generated and takes no path", SourceLoc(file=str(path)),
                             "use --data synthetic")
        opts = parse_options(cls.name, options, cls.options)
        opts.pop("validate")
        return cls(split, transform, **opts)

    def __len__(self) -> int:
        return self.length

    def sample_id(self, i: int) -> str:
        return f"{self.split}_{i:06d}"

    def load(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, SPLIT_CODES[self.split], int(i)])
        h, w = self.size
        yy, xx = _grid(h, w)
        image = self._background(rng, yy, xx)
        mask = np.zeros((h, w), dtype=np.int64)
        side = min(h, w)
        for _ in range(int(rng.integers(1, self.max_shapes + 1))):
            cls = int(rng.integers(1, self.num_classes))
            r = side * rng.uniform(0.12, 0.25)
            cy = rng.uniform(0.5 * r, h - 0.5 * r)
            cx = rng.uniform(0.5 * r, w - 0.5 * r)
            theta = rng.uniform(0, 2 * np.pi)
            region = _SHAPES[cls](yy - cy, xx - cx, r, theta, rng)
            colour = COLOURS[cls] + rng.uniform(-30, 30, size=3).astype(np.float32)
            texture = 10 * rng.standard_normal((int(region.sum()), 1), dtype=np.float32)
            image[region] = colour + texture
            mask[region] = cls
        return np.clip(image, 0, 255).astype(np.uint8), mask

    @staticmethod
    def _background(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
        h, w = yy.shape
        grey = rng.uniform(70, 170)
        tint = rng.uniform(-15, 15, size=3)
        angle = rng.uniform(0, 2 * np.pi)
        ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h) * rng.uniform(-40, 40)
        fy, fx, phase = rng.uniform(1, 4), rng.uniform(1, 4), rng.uniform(0, 2 * np.pi)
        waves = 12 * np.sin(2 * np.pi * (fy * yy / h + fx * xx / w) + phase)
        base = (grey + ramp + waves)[:, :, None] + tint[None, None, :].astype(np.float32)
        return base + 8 * rng.standard_normal((h, w, 3), dtype=np.float32)


def _rotate(dy, dx, theta):
    c, s = np.cos(theta), np.sin(theta)
    return c * dx + s * dy, -s * dx + c * dy


def _circle(dy, dx, r, theta, rng):
    return dy * dy + dx * dx <= r * r


def _rectangle(dy, dx, r, theta, rng):
    u, v = _rotate(dy, dx, theta)
    a, b = r * rng.uniform(0.6, 1.0), r * rng.uniform(0.6, 1.0)
    return (np.abs(u) <= a) & (np.abs(v) <= b)


def _triangle(dy, dx, r, theta, rng):
    angles = theta + np.array([0, 2 * np.pi / 3, 4 * np.pi / 3]) + rng.uniform(-0.25, 0.25, size=3)
    ys, xs = 1.35 * r * np.sin(angles), 1.35 * r * np.cos(angles)
    inside = np.ones(dy.shape, dtype=bool)
    for k in range(3):
        y0, x0, y1, x1 = ys[k], xs[k], ys[(k + 1) % 3], xs[(k + 1) % 3]
        # vertices are counter-clockwise in (x, y): the interior is left of every edge
        inside &= (x1 - x0) * (dy - y0) - (y1 - y0) * (dx - x0) >= 0
    return inside


def _cross(dy, dx, r, theta, rng):
    u, v = _rotate(dy, dx, theta)
    t = 0.38 * r
    return ((np.abs(u) <= r) & (np.abs(v) <= t)) | ((np.abs(v) <= r) & (np.abs(u) <= t))


_SHAPES = {1: _circle, 2: _rectangle, 3: _triangle, 4: _cross}

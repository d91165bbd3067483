"""Tiny dataset trees in the real on-disk layouts, written into tmp_path."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segkit.data.base import voc_colormap


def write_image(path: Path, h: int = 8, w: int = 10, seed: int = 0, fmt: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path, format=fmt)
    return path


def write_mask(path: Path, labels: np.ndarray, palette: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(np.asarray(labels, dtype=np.uint8))
    if palette:  # L -> P with the VOC palette, indices unchanged
        img.putpalette([v for c in voc_colormap(256) for v in c])
        assert img.mode == "P"
    img.save(path)
    return path


def labels(h: int = 8, w: int = 10, values=(0, 1)) -> np.ndarray:
    """An ``h x w`` mask cycling through ``values`` row-major."""
    return np.resize(np.asarray(values, dtype=np.uint8), h * w).reshape(h, w)


@pytest.fixture
def voc_root(tmp_path) -> Path:
    root = tmp_path / "VOCdevkit" / "VOC2012"
    ids = ["2007_000032", "2007_000039", "2007_000063"]
    for k, i in enumerate(ids):
        write_image(root / "JPEGImages" / f"{i}.jpg", seed=k, fmt="JPEG")
        m = np.zeros((8, 10), dtype=np.uint8)
        m[2:6, 3:7] = 15   # person
        m[0, :] = 255      # border
        m[7, 0] = 20       # tvmonitor
        write_mask(root / "SegmentationClass" / f"{i}.png", m, palette=True)
    sets = root / "ImageSets" / "Segmentation"
    sets.mkdir(parents=True)
    (sets / "train.txt").write_text("\n".join(ids[:2]) + "\n")
    (sets / "val.txt").write_text(ids[2] + "\n")
    return tmp_path / "VOCdevkit"


@pytest.fixture
def cityscapes_root(tmp_path) -> Path:
    root = tmp_path / "cityscapes"
    for split, cities in (("train", {"aachen": 2, "bochum": 1}), ("val", {"frankfurt": 1})):
        for city, n in cities.items():
            for k in range(n):
                stem = f"{city}_{k:06d}_000019"
                write_image(root / "leftImg8bit" / split / city / f"{stem}_leftImg8bit.png", seed=k)
                m = np.zeros((8, 10), dtype=np.uint8)       # 0 unlabeled -> ignore
                m[0:2] = 7                                  # road -> 0
                m[2:4] = 26                                 # car -> 13
                m[4, :5] = 33                               # bicycle -> 18
                m[4, 5:] = 5                                # dynamic (void) -> ignore
                m[5] = 255                                  # license plate -> ignore
                write_mask(root / "gtFine" / split / city / f"{stem}_gtFine_labelIds.png", m)
    return root


@pytest.fixture
def camvid_root(tmp_path) -> Path:
    root = tmp_path / "CamVid"
    for split, n in (("train", 3), ("val", 2), ("test", 1)):
        for k in range(n):
            write_image(root / split / f"0001TP_{k:04d}.png", seed=k)
            write_mask(root / f"{split}annot" / f"0001TP_{k:04d}.png", labels(values=(0, 3, 10, 11)))
    return tmp_path


@pytest.fixture
def ade_root(tmp_path) -> Path:
    root = tmp_path / "ADEChallengeData2016"
    for split, n in (("training", 2), ("validation", 1)):
        for k in range(n):
            stem = f"ADE_{split[:5]}_{k:08d}"
            write_image(root / "images" / split / f"{stem}.jpg", seed=k, fmt="JPEG")
            write_mask(root / "annotations" / split / f"{stem}.png", labels(values=(0, 1, 150, 13)))
    return root


@pytest.fixture
def folder_root(tmp_path) -> Path:
    root = tmp_path / "mydata"
    for split, n in (("train", 3), ("val", 1)):
        for k in range(n):
            write_image(root / "images" / split / f"img{k}.png", seed=k)
            write_mask(root / "masks" / split / f"img{k}.png", labels(values=(0, 1, 2, 255)))
    (root / "classes.txt").write_text("background\nroad\ncar\n")
    return root

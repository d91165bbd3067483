"""The dataset protocol: :class:`SegDataset` and the file-backed :class:`FileSegDataset`.

A dataset yields ``(image, mask)``: ``image`` a float32 ``C x H x W`` tensor (values in
[0, 1], or normalized when the transform ends with :class:`~segkit.data.transforms.
Normalize`), ``mask`` an int64 ``H x W`` tensor of class indices with ``ignore_index``
where unlabeled. ``cls.open(path, split, transform=None, **options)`` builds one and, by
default, validates every file before returning (existence, readable image header, image
and mask sizes agree, mask labels in range), raising :class:`~segkit.errors.InputError`
located at the bad file. Transforms are callables ``(image, mask) -> (image, mask)``.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

from segkit.data.pixels import rgb8
from segkit.errors import InputError, SourceLoc

# torch, numpy and Pillow are imported inside functions: importing this module (a
# plugin's dataset class subclasses SegDataset) must not import torch or numpy, so that
# registering a dataset keeps `segkit check` free of them; Pillow is optional for most callers.


IGNORE_INDEX = 255


def voc_colormap(n: int) -> list[tuple[int, int, int]]:
    """The PASCAL VOC colour map (bit-interleaved), for any number of classes."""
    colours = []
    for i in range(n):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        colours.append((r, g, b))
    return colours


def located(path: Path | str) -> SourceLoc:
    return SourceLoc(file=str(path))


def require_dir(path: Path | str | None, what: str) -> Path:
    """``path`` as a Path, or an InputError if it is missing or not a directory."""
    if path is None or str(path) == "":
        raise InputError(f"the {what} dataset needs a path", SourceLoc(file="--data"),
                         f"use --data {what}:/path/to/{what}")
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"{what} dataset root does not exist", located(path))
    if not path.is_dir():
        raise InputError(f"{what} dataset root is not a directory", located(path))
    return path


def read_image(path: Path) -> np.ndarray:
    """An ``H x W x 3`` uint8 RGB array (16-bit grayscale scaled to its content:
    :mod:`segkit.data.pixels`); InputError naming ``path`` when unreadable."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            return rgb8(img)
    except FileNotFoundError:
        raise InputError(f"image file {Path(path).name} does not exist", located(path)) from None
    except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError, ... on bad data
        raise InputError(f"cannot read image {Path(path).name}: {exc}", located(path)) from None


def image_size(path: Path) -> tuple[int, int]:
    """``(height, width)`` from the image header only; InputError when unreadable."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            width, height = img.size
            return height, width
    except FileNotFoundError:
        raise InputError(f"image file {Path(path).name} does not exist", located(path)) from None
    except Exception as exc:
        raise InputError(f"cannot read image {Path(path).name}: {exc}", located(path)) from None


def read_mask_raw(path: Path) -> np.ndarray:
    """The stored label values: ``H x W`` for L/P/I modes (palette indices for P), or
    ``H x W x 3`` for RGB masks (the dataset maps colours)."""
    import numpy as np  # here, not at module level: see the imports
    from PIL import Image

    try:
        with Image.open(path) as img:
            if img.mode in ("RGB", "RGBA"):
                return np.array(img.convert("RGB"))
            if img.mode == "1":
                img = img.convert("L")
            return np.array(img)
    except FileNotFoundError:
        raise InputError(f"mask file {Path(path).name} does not exist", located(path)) from None
    except Exception as exc:
        raise InputError(f"cannot read mask {Path(path).name}: {exc}", located(path)) from None


def identity_lut(num_classes: int, ignore_index: int) -> np.ndarray:
    """Stored value -> class index: ``v`` for ``v < num_classes``, ignore stays ignore,
    everything else ``-1`` (invalid)."""
    import numpy as np  # here, not at module level: see the imports

    lut = np.full(max(256, num_classes, ignore_index + 1), -1, dtype=np.int64)
    lut[:num_classes] = np.arange(num_classes)
    if ignore_index >= 0:
        lut[ignore_index] = ignore_index
    return lut


def _fmt_values(values: Sequence[int]) -> str:
    values = [int(v) for v in values]
    shown = ", ".join(map(str, values[:8]))
    return shown + (f", ... ({len(values)} values)" if len(values) > 8 else "")


class SegDataset:
    """Base of every segkit dataset; subclasses set the class attributes and implement
    :meth:`open`, ``__len__`` and :meth:`load` (raw arrays of sample ``i``).

    A map-style dataset as ``torch.utils.data.DataLoader`` takes it (``__len__`` and
    ``__getitem__``), without subclassing torch's ``Dataset``: defining a subclass
    imports no torch. ``default_crop`` (H, W) is the training crop ``segkit train`` uses
    when ``--crop`` is not given (None: 512x512); ``options`` lists the keyword options
    ``open`` takes (``--data-opt key=value``), as :func:`parse_options` reads them.
    """

    name: str = "dataset"
    num_classes: int = 0
    ignore_index: int = IGNORE_INDEX
    class_names: list[str] = []
    palette: list[tuple[int, int, int]] = []
    in_channels: int = 3
    splits: tuple[str, ...] = ("train", "val")
    default_crop: tuple[int, int] | None = None
    options: dict[str, tuple] = {}

    def __init__(self, split: str, transform=None):
        self.split = split
        self.transform = transform
        if not self.class_names:
            self.class_names = [f"class{i}" for i in range(self.num_classes)]
        if not self.palette:
            self.palette = voc_colormap(self.num_classes)

    @classmethod
    def open(cls, path: str | None, split: str, transform=None, **options) -> "SegDataset":
        """The ``split`` of the dataset at ``path``, validated unless ``validate=False``."""
        raise NotImplementedError

    @classmethod
    def check_split(cls, split: str, loc: SourceLoc | None = None) -> str:
        if split not in cls.splits:
            raise InputError(f"{cls.name} has no split {split!r}; it has {', '.join(cls.splits)}",
                             loc or SourceLoc(file="--data"))
        return split

    def __len__(self) -> int:
        raise NotImplementedError

    def load(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Sample ``i`` before transforms: uint8 ``H x W x C`` image, int64 ``H x W`` mask."""
        raise NotImplementedError

    def sample_id(self, i: int) -> str:
        """A name for sample ``i`` (file stem), e.g. for ``segkit predict`` outputs."""
        return f"{i:06d}"

    def __getitem__(self, i: int):
        """``(image, mask)`` tensors of sample ``i``: float32 ``C x H x W`` in [0, 1] and
        int64 ``H x W``, after the transform."""
        import numpy as np  # here, not at module level: see the imports
        import torch

        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        image, mask = self.load(i)
        image = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255.0)
        mask = torch.from_numpy(np.ascontiguousarray(mask)).long()
        if self.transform is not None:
            image, mask = self.transform(image, mask)
        return image.contiguous(), mask.contiguous()

    def validate(self) -> None:
        """Raise InputError at the first bad sample; a no-op for generated data."""

    def info(self) -> dict:
        """A short description: name, split, length, classes."""
        return {"name": self.name, "split": self.split, "length": len(self),
                "num_classes": self.num_classes, "ignore_index": self.ignore_index,
                "in_channels": self.in_channels}


class FileSegDataset(SegDataset):
    """A dataset of ``(image_path, mask_path)`` pairs on disk."""

    def __init__(self, samples: Sequence[tuple[Path, Path]], split: str, transform=None,
                 root: Path | None = None):
        super().__init__(split, transform)
        self.samples = [(Path(a), Path(b)) for a, b in samples]
        self.root = root
        self.unlabeled: list[Path] = []
        """Masks that label no pixel, as :meth:`validate` found them."""
        if not self.samples:
            raise InputError(f"no {split} samples found in the {self.name} dataset",
                             located(root or "--data"))

    @classmethod
    def finish_open(cls, dataset: "FileSegDataset", validate) -> "FileSegDataset":
        """``dataset`` validated at the level of the ``validate`` option: False (none),
        "headers", True (image headers, masks decoded) or "full" (images decoded too)."""
        if validate:
            dataset.validate(full=validate != "headers", decode=validate == "full")
        return dataset

    def __len__(self) -> int:
        return len(self.samples)

    def sample_id(self, i: int) -> str:
        return self.samples[i][0].stem

    def label_lut(self) -> np.ndarray:
        """Stored value -> class index (``-1`` = invalid); identity by default."""
        return identity_lut(self.num_classes, self.ignore_index)

    def map_colours(self, rgb: np.ndarray, path: Path) -> np.ndarray:
        """Class indices of an RGB mask; datasets whose masks are colour-coded override."""
        raise InputError(f"mask {path.name} is RGB; {self.name} expects single-channel masks "
                         "of class indices (mode L or P)", located(path))

    def map_labels(self, raw: np.ndarray, path: Path) -> np.ndarray:
        """Class indices (int64, ``ignore_index`` where unlabeled) of a stored mask."""
        import numpy as np  # here, not at module level: see the imports

        if raw.ndim == 3:
            raw = self.map_colours(raw, path)
            return self._check_range(raw, path)
        lut = self.label_lut()
        if raw.min(initial=0) < 0 or raw.max(initial=0) >= len(lut):
            bad = np.unique(raw[(raw < 0) | (raw >= len(lut))])
            raise self._range_error(bad, path)
        mapped = lut[raw]
        counts = np.bincount(raw.ravel().astype(np.int64), minlength=len(lut)) if raw.size else np.zeros(len(lut))
        bad = np.nonzero((counts > 0) & (lut < 0))[0]
        if len(bad):
            raise self._range_error(bad, path)
        return mapped

    def _check_range(self, labels: np.ndarray, path: Path) -> np.ndarray:
        import numpy as np  # here, not at module level: see the imports

        labels = labels.astype(np.int64)
        bad = (labels < 0) | (labels >= self.num_classes)
        bad &= labels != self.ignore_index
        if bad.any():
            raise self._range_error(np.unique(labels[bad]), path)
        return labels

    def _range_error(self, bad, path: Path) -> InputError:
        return InputError(
            f"mask {path.name} has labels {_fmt_values(bad)} outside the {self.num_classes} classes "
            f"[0, {self.num_classes}) of {self.name} (ignore index {self.ignore_index})", located(path))

    def load(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        image_path, mask_path = self.samples[i]
        image = read_image(image_path)
        mask = self.map_labels(read_mask_raw(mask_path), mask_path)
        self._check_sizes(image.shape[:2], mask.shape[:2], image_path, mask_path)
        return image, mask

    @staticmethod
    def _check_sizes(image_hw, mask_hw, image_path: Path, mask_path: Path) -> None:
        if tuple(image_hw) != tuple(mask_hw):
            raise InputError(
                f"image {image_path.name} is {image_hw[1]}x{image_hw[0]} (WxH) but its mask "
                f"{mask_path.name} is {mask_hw[1]}x{mask_hw[0]}", located(mask_path))

    def check_sample(self, i: int, full: bool = True, decode: bool = False) -> bool:
        """Check one sample: files exist and decode (the image header only, unless
        ``decode``: a truncated image is found only by decoding it), sizes agree, and
        (``full``) every mask label is a class or the ignore index. Whether the mask
        labels any pixel (True when not ``full``: the mask was not read)."""
        image_path, mask_path = self.samples[i]
        if not image_path.is_file():
            raise InputError(f"image file {image_path.name} does not exist", located(image_path))
        if not mask_path.is_file():
            raise InputError(f"mask file {mask_path.name} for image {image_path.name} does not exist",
                             located(mask_path))
        hw = read_image(image_path).shape[:2] if decode else image_size(image_path)
        labeled = True
        if full:
            labels = self.map_labels(read_mask_raw(mask_path), mask_path)
            mask_hw = labels.shape[:2]
            labeled = bool((labels != self.ignore_index).any())
        else:
            mask_hw = image_size(mask_path)
        self._check_sizes(hw, mask_hw, image_path, mask_path)
        return labeled

    def validate(self, full: bool = True, workers: int | None = None, decode: bool = False) -> None:
        """Check every sample (threads decode in parallel); raise the first error in
        sample order. ``full=False`` reads headers only and skips the label check;
        ``decode`` decodes every image too. Masks that label no pixel (all ignore
        index) are listed in ``unlabeled``, for a warning: they teach nothing."""
        workers = workers or min(8, os.cpu_count() or 1)
        if workers <= 1 or len(self) < 16:
            labeled = [self.check_sample(i, full, decode) for i in range(len(self))]
        else:
            with ThreadPoolExecutor(workers) as pool:
                results = [pool.submit(self.check_sample, i, full, decode) for i in range(len(self))]
                labeled = [future.result() for future in results]
        self.unlabeled = [self.samples[i][1] for i, ok in enumerate(labeled) if not ok]


def parse_options(name: str, options: dict, allowed: dict[str, tuple]) -> dict:
    """Options given to ``open`` converted by ``allowed`` (option -> (type, default));
    command-line strings are parsed (``size="64x48"``, ``length="100"``). Types: int,
    float, str, "size" (int or HxW), "validate" (True or "labels", False, "headers" or
    "full"), "classes"
    (int, or None to read classes.txt). Unknown names are an InputError."""
    out = {key: default for key, (_, default) in allowed.items()}
    for key, value in options.items():
        if key not in allowed:
            raise InputError(f"unknown option {key!r} for dataset {name}", SourceLoc(file="--data"),
                             f"{name} takes: {', '.join(sorted(allowed)) or 'no options'}")
        kind = allowed[key][0]
        try:
            out[key] = _convert(kind, value)
        except (TypeError, ValueError):
            raise InputError(f"option {key}={value!r} of dataset {name} is not valid",
                             SourceLoc(file="--data")) from None
    return out


def _convert(kind, value):
    if value is None:
        return None
    if kind == "validate":
        if isinstance(value, str):
            low = value.lower()
            if low in ("headers", "full"):
                return low
            if low in ("1", "true", "yes", "on", "labels"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        return value
    if kind == "size":
        if isinstance(value, str):
            parts = [int(p) for p in value.lower().replace(",", "x").split("x") if p.strip()]
            value = parts[0] if len(parts) == 1 else tuple(parts)
        if isinstance(value, int):
            value = (value, value)
        value = tuple(int(v) for v in value)
        if len(value) != 2 or min(value) < 1:
            raise ValueError(value)
        return value
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    return kind(value)

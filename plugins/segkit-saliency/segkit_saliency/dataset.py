"""``rgbd_saliency``: RGB-D salient object detection data (NJU2K, NLPR, STERE, DES, LFSD,
SIP, ... as distributed for UC-Net and D3Net).

Layout (one folder per split, or the folders directly under the root for a dataset
that is a single split)::

    root/[SPLIT/]RGB/NAME.jpg|jpeg|png|bmp    colour image
    root/[SPLIT/]depth/NAME.png|bmp           depth, one channel: 8-bit (L) or 16-bit (I;16, I)
    root/[SPLIT/]GT/NAME.png|bmp              binary mask: 0/255 (or 0/1)

Every RGB image needs a depth map and a GT mask of the same stem and size. With
``root/SPLIT/RGB`` present the split folder is read; otherwise ``root/RGB`` serves any
split name.

Items (``item="tuple"``, the default, the :class:`segkit.data.SegDataset` protocol):
``(image, mask)`` with ``image`` a float32 ``4 x H x W`` tensor: RGB / 255 in channels
0-2 and the depth in channel 3 (8-bit / 255, 16-bit / 65535), and ``mask`` an int64
``H x W`` tensor of 0 (background) / 1 (salient). Transforms ``(image, mask) -> (image,
mask)`` see the 4-channel image, so flips and crops keep RGB and depth aligned.
:func:`ucnet_inputs` turns a batch into the ``ucnet`` spec's inputs ``rgb`` (3),
``depth`` (1) and ``gt`` (1, float). ``item="dict"`` gives ``{"rgb", "depth", "gt",
"mask", "name"}`` per sample instead (after the transform), ready for ``model(**...)``
minus mask and name.

Options: ``validate`` (True: every file opened, depth modes and GT values checked;
"headers": sizes only; False), ``gt_threshold`` (None: GT values must be 0/255 or 0/1,
else an error naming the file; an int: GT values above it are salient, for masks with
anti-aliased edges), ``item`` ("tuple" or "dict"). Errors are
:class:`segkit.errors.InputError` located at the bad file.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from segkit.plugin import InputError, SegDataset, image_size, located, parse_options, read_image, require_dir

RGB_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
MAP_SUFFIXES = (".png", ".bmp")
FOLDERS = ("RGB", "depth", "GT")
DEPTH_MODES = {"L": 255.0, "I;16": 65535.0, "I;16B": 65535.0, "I;16L": 65535.0, "I": 65535.0}


def _read_single(path: Path, what: str):
    """(array, mode) of a single-channel image; InputError naming ``path`` otherwise."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            mode = img.mode
            if mode == "1":
                img, mode = img.convert("L"), "L"
            if mode == "P":
                raise InputError(f"{what} {path.name} is a palette image; expected a single-channel "
                                 "grey-level image", located(path))
            if mode not in DEPTH_MODES:
                raise InputError(f"{what} {path.name} has {len(img.getbands())} channels (mode {mode}); "
                                 f"expected one channel", located(path),
                                 "convert it to grey levels (8-bit L or 16-bit I;16)")
            return np.array(img), mode
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError(f"{what} file {path.name} does not exist", located(path)) from None
    except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError ... on bad data
        raise InputError(f"cannot read {what} {path.name}: {exc}", located(path)) from None


def read_depth(path: Path) -> np.ndarray:
    """The depth map of ``path`` as float32 ``H x W`` in [0, 1]."""
    values, mode = _read_single(path, "depth map")
    scale = DEPTH_MODES[mode]
    values = values.astype(np.float32)
    if values.size and (values.min() < 0 or values.max() > scale):
        raise InputError(f"depth map {path.name} has values outside [0, {int(scale)}] for mode {mode}",
                         located(path))
    return values / scale


def read_gt(path: Path, threshold: int | None = None) -> np.ndarray:
    """The GT mask of ``path`` as int64 ``H x W`` of 0/1 (see the module doc)."""
    values, mode = _read_single(path, "GT mask")
    if mode != "L":
        raise InputError(f"GT mask {path.name} is {mode}; expected 8-bit grey levels (0/255)", located(path))
    if threshold is not None:
        return (values > threshold).astype(np.int64)
    present = np.unique(values)
    if set(present.tolist()) <= {0, 255}:
        return (values == 255).astype(np.int64)
    if set(present.tolist()) <= {0, 1}:
        return values.astype(np.int64)
    bad = [int(v) for v in present if v not in (0, 255)]
    shown = ", ".join(map(str, bad[:8])) + (f", ... ({len(bad)} values)" if len(bad) > 8 else "")
    raise InputError(f"GT mask {path.name} is not binary: values {shown} besides 0 and 255", located(path),
                     "binarize the masks, or open the dataset with gt_threshold=128")


class RGBDSaliencyDataset(SegDataset):
    """RGB-D saliency samples from ``RGB/``, ``depth/`` and ``GT/`` (see the module doc)."""

    name = "rgbd_saliency"
    num_classes = 2
    class_names = ["background", "salient"]
    palette = [(0, 0, 0), (255, 255, 255)]
    in_channels = 4
    splits = ("train", "val", "test")
    options = {"validate": ("validate", True), "gt_threshold": (int, None), "item": (str, "tuple")}

    def __init__(self, samples, split: str, transform=None, root: Path | None = None, *,
                 gt_threshold: int | None = None, item: str = "tuple"):
        super().__init__(split, transform)
        self.samples = [tuple(Path(p) for p in s) for s in samples]
        self.root = root
        self.gt_threshold = gt_threshold
        if item not in ("tuple", "dict"):
            raise InputError(f"rgbd_saliency: item must be 'tuple' or 'dict', got {item!r}", located("--data"))
        self.item = item
        if not self.samples:
            raise InputError(f"no {split} samples found in the {self.name} dataset", located(root or "--data"))

    @classmethod
    def open(cls, path, split, transform=None, **options) -> "RGBDSaliencyDataset":
        opts = parse_options(cls.name, options, cls.options)
        root = require_dir(path, cls.name)
        cls.check_split(split, located(root))
        base = root / split if (root / split / "RGB").is_dir() else root
        samples = cls.scan(base)
        dataset = cls(samples, split, transform, base, gt_threshold=opts["gt_threshold"], item=opts["item"])
        if opts["validate"]:
            dataset.validate(full=opts["validate"] != "headers")
        return dataset

    @staticmethod
    def scan(base: Path) -> list[tuple[Path, Path, Path]]:
        """(rgb, depth, gt) paths with one stem, in name order; InputError naming the first
        image without a partner (or a partner without an image)."""
        dirs = {name: base / name for name in FOLDERS}
        for name, d in dirs.items():
            if not d.is_dir():
                raise InputError(f"rgbd_saliency: missing directory {name}/ in {base}", located(d),
                                 "expected RGB/, depth/ and GT/ folders with one stem per sample")
        images = sorted(p for p in dirs["RGB"].iterdir() if p.suffix.lower() in RGB_SUFFIXES)
        depths = _by_stem(dirs["depth"])
        gts = _by_stem(dirs["GT"])
        samples = []
        for image in images:
            depth = depths.pop(image.stem, None)
            if depth is None:
                raise InputError(f"image {image.name} has no depth map {image.stem}.png in depth/", located(image))
            gt = gts.pop(image.stem, None)
            if gt is None:
                raise InputError(f"image {image.name} has no GT mask {image.stem}.png in GT/", located(image))
            samples.append((image, depth, gt))
        for folder, left in (("depth", depths), ("GT", gts)):
            if left:
                orphan = sorted(left.values())[0]
                raise InputError(f"{folder} file {orphan.name} has no image {orphan.stem}.* in RGB/", located(orphan))
        return samples

    def __len__(self) -> int:
        return len(self.samples)

    def sample_id(self, i: int) -> str:
        return self.samples[i][0].stem

    # -- reading -----------------------------------------------------------------------

    def load_arrays(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sample ``i``: uint8 ``H x W x 3`` RGB, float32 ``H x W`` depth in [0, 1], int64
        ``H x W`` mask of 0/1; InputError naming the file that is bad or of another size."""
        image_path, depth_path, gt_path = self.samples[i]
        rgb = read_image(image_path)
        depth = read_depth(depth_path)
        gt = read_gt(gt_path, self.gt_threshold)
        _same_size(image_path, rgb.shape[:2], depth_path, depth.shape[:2])
        _same_size(image_path, rgb.shape[:2], gt_path, gt.shape[:2])
        return rgb, depth, gt

    def load(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """``H x W x 4`` uint8 RGB-D (depth at 8 bits, for display) and the mask."""
        rgb, depth, gt = self.load_arrays(i)
        depth8 = np.round(depth * 255.0).astype(np.uint8)
        return np.concatenate([rgb, depth8[..., None]], axis=2), gt

    def __getitem__(self, i: int):
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        rgb, depth, gt = self.load_arrays(i)
        image = torch.cat([torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().div_(255.0),
                           torch.from_numpy(np.ascontiguousarray(depth))[None]], 0)
        mask = torch.from_numpy(np.ascontiguousarray(gt)).long()
        if self.transform is not None:
            image, mask = self.transform(image, mask)
        image, mask = image.contiguous(), mask.contiguous()
        if self.item == "dict":
            inputs = ucnet_inputs(image[None], mask[None])
            return {key: value[0] for key, value in inputs.items()} | {"mask": mask, "name": self.sample_id(i)}
        return image, mask

    # -- validation --------------------------------------------------------------------

    def check_sample(self, i: int, full: bool = True) -> None:
        """Files exist and decode, sizes agree; ``full`` also reads the depth and GT
        values (one channel, binary GT)."""
        image_path, depth_path, gt_path = self.samples[i]
        for path, what in ((image_path, "image"), (depth_path, "depth map"), (gt_path, "GT mask")):
            if not path.is_file():
                raise InputError(f"{what} file {path.name} does not exist", located(path))
        hw = image_size(image_path)
        if full:
            _same_size(image_path, hw, depth_path, read_depth(depth_path).shape[:2])
            _same_size(image_path, hw, gt_path, read_gt(gt_path, self.gt_threshold).shape[:2])
        else:
            _same_size(image_path, hw, depth_path, image_size(depth_path))
            _same_size(image_path, hw, gt_path, image_size(gt_path))

    def validate(self, full: bool = True, workers: int | None = None) -> None:
        """Check every sample; raise the first error in sample order."""
        workers = workers or min(8, os.cpu_count() or 1)
        if workers <= 1 or len(self) < 16:
            for i in range(len(self)):
                self.check_sample(i, full)
            return
        with ThreadPoolExecutor(workers) as pool:
            for future in [pool.submit(self.check_sample, i, full) for i in range(len(self))]:
                future.result()

    def info(self) -> dict:
        return {**super().info(), "item": self.item, "layout": "RGB/ depth/ GT/"}


def _by_stem(folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in MAP_SUFFIXES:
            continue
        if path.stem in found:
            raise InputError(f"{folder.name}/ has two files for {path.stem}: {found[path.stem].name} and {path.name}",
                             located(path))
        found[path.stem] = path
    return found


def _same_size(image_path: Path, image_hw, other_path: Path, other_hw) -> None:
    if tuple(image_hw) != tuple(other_hw):
        raise InputError(f"image {image_path.name} is {image_hw[1]}x{image_hw[0]} (WxH) but "
                         f"{other_path.parent.name}/{other_path.name} is {other_hw[1]}x{other_hw[0]}",
                         located(other_path))


def ucnet_inputs(image: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """The ``ucnet`` spec's inputs from a batch of items: ``rgb`` (``N x 3 x H x W``),
    ``depth`` (``N x 1 x H x W``) and, given the masks (``N x H x W``), ``gt`` (``N x 1 x
    H x W`` float 0/1; pixels of any other value, e.g. an ignore index, count as 0)."""
    if image.dim() != 4 or image.shape[1] != 4:
        raise ValueError(f"expected N x 4 x H x W RGB-D images, got {tuple(image.shape)}")
    inputs = {"rgb": image[:, :3], "depth": image[:, 3:4]}
    if mask is not None:
        inputs["gt"] = (mask == 1).to(image.dtype)[:, None]
    return inputs

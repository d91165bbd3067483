"""``folder``: your own images and masks.

Layout::

    root/images/{train,val}/NAME.png|jpg|jpeg
    root/masks/{train,val}/NAME.png        (single-channel class indices, L or P mode)
    root/classes.txt                       (optional: one class name per line)

Options: ``num_classes`` (else the number of lines of ``classes.txt``), ``ignore_index``
(default 255: the mask value of unlabeled pixels), ``validate`` (True: image headers and
masks; "full": every image decoded too; "headers"; False).
"""
from __future__ import annotations

from pathlib import Path

from segkit.data.base import FileSegDataset, located, parse_options, require_dir
from segkit.errors import InputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


class FolderDataset(FileSegDataset):
    """Images and same-stem masks in ``images/SPLIT`` and ``masks/SPLIT``."""

    name = "folder"
    splits = ("train", "val", "test")
    options = {"num_classes": (int, None), "ignore_index": (int, 255), "validate": ("validate", True)}

    def __init__(self, samples, split, transform=None, root=None, *, num_classes: int,
                 ignore_index: int = 255, class_names: list[str] | None = None):
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.class_names = list(class_names or [])
        self.palette = []
        super().__init__(samples, split, transform, root)

    @classmethod
    def open(cls, path, split, transform=None, **options) -> "FolderDataset":
        opts = parse_options(cls.name, options, cls.options)
        root = require_dir(path, cls.name)
        cls.check_split(split, located(root))
        names = None
        classes_file = root / "classes.txt"
        if classes_file.is_file():
            names = [line.strip() for line in classes_file.read_text().splitlines() if line.strip()]
        num_classes = opts["num_classes"] or (len(names) if names else None)
        if not num_classes:
            raise InputError("folder dataset: the number of classes is unknown", located(root),
                             "write classes.txt (one class name per line) or pass num_classes")
        if names is not None and len(names) != num_classes:
            names = None  # explicit num_classes wins over a disagreeing classes.txt
        if not 0 <= opts["ignore_index"] <= 255 or opts["ignore_index"] < num_classes:
            raise InputError(f"folder dataset: ignore_index {opts['ignore_index']} must be in "
                             f"[{num_classes}, 255]", located(root))
        samples = cls.scan(root, split)
        dataset = cls(samples, split, transform, root, num_classes=num_classes,
                      ignore_index=opts["ignore_index"], class_names=names)
        return cls.finish_open(dataset, opts["validate"])

    @staticmethod
    def scan(root: Path, split: str) -> list[tuple[Path, Path]]:
        image_dir, mask_dir = root / "images" / split, root / "masks" / split
        for d in (image_dir, mask_dir):
            if not d.is_dir():
                raise InputError(f"folder dataset: missing directory {d.relative_to(root)}", located(d),
                                 "expected images/{train,val}/*.png|jpg and masks/{train,val}/*.png")
        images = image_files(image_dir, IMAGE_SUFFIXES, root)
        masks = {p.stem: p for p in image_files(mask_dir, (".png",), root)}
        samples = []
        for image in images:
            mask = masks.pop(image.stem, None)
            if mask is None:
                raise InputError(f"image {image.name} has no mask {image.stem}.png in "
                                 f"{mask_dir.relative_to(root)}", located(image))
            samples.append((image, mask))
        if masks:
            orphan = sorted(masks.values())[0]
            raise InputError(f"mask {orphan.name} has no image in {image_dir.relative_to(root)}",
                             located(orphan))
        return samples


def image_files(folder: Path, suffixes: tuple[str, ...], root: Path) -> list[Path]:
    """The files of ``folder`` named with ``suffixes``, sorted; InputError for an entry so
    named that is not a file (a folder ``zz.png``) and for two images of one stem
    (``s03.jpg`` and ``s03.png``), which one mask ``s03.png`` cannot pair."""
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes)
    by_stem: dict[str, Path] = {}
    for path in found:
        if not path.is_file():
            raise InputError(f"{path.relative_to(root)} is named like an image but is not a file",
                             located(path), "move or rename it: every entry named *.png|jpg|jpeg must be an image")
        other = by_stem.setdefault(path.stem, path)
        if other is not path:
            raise InputError(f"images {other.name} and {path.name} in {folder.relative_to(root)} have the same "
                             f"name {path.stem}; a mask pairs with one image by name", located(path),
                             "keep one of them, or rename the other (and give it its own mask)")
    return found

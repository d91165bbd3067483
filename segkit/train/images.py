"""The image files ``segkit predict`` reads, found without torch: the command checks
them before it imports torch and loads the checkpoint, so a mistyped path fails at once."""
from __future__ import annotations

from pathlib import Path

from segkit.errors import InputError, SourceLoc

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def expand_images(items) -> list[Path]:
    """Files as given, folders as their image files (sorted); InputError for a missing
    path or an empty folder."""
    paths: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise InputError("folder holds no images (png, jpg, ...)", SourceLoc(str(path)))
            paths.extend(found)
        elif path.exists():
            paths.append(path)
        else:
            raise InputError("image file does not exist", SourceLoc(str(path)))
    return paths

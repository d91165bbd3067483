"""``segkit predict``: palette masks and alpha-blended overlays of images."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from segkit.data.base import voc_colormap
from segkit.errors import InputError, SourceLoc

# Pillow is imported inside functions: optional for what most callers do.


def full_palette(palette, num_classes: int) -> list[tuple[int, int, int]]:
    """``palette`` extended (VOC colour map) to ``num_classes`` entries."""
    colours = [tuple(int(v) for v in c) for c in (palette or [])][:num_classes]
    if len(colours) < num_classes:
        colours += voc_colormap(num_classes)[len(colours):]
    return colours


def mask_image(mask: np.ndarray, palette):
    """A mode-P PIL image: pixel values are class indices, with ``palette`` attached."""
    from PIL import Image

    image = Image.fromarray(mask.astype(np.uint8), mode="P")
    flat = [v for colour in palette for v in colour]
    image.putpalette(flat + [0] * (768 - len(flat)))
    return image


def overlay_image(rgb: np.ndarray, mask: np.ndarray, palette, alpha: float = 0.5):
    """``rgb`` (H x W x 3 uint8) blended with the mask colours: ``(1-a)*image + a*colour``."""
    from PIL import Image

    colours = np.asarray(palette, dtype=np.float32)[mask]
    blended = (1.0 - alpha) * rgb.astype(np.float32) + alpha * colours
    return Image.fromarray(np.clip(np.rint(blended), 0, 255).astype(np.uint8), mode="RGB")


def read_rgb(path: Path, channels: int) -> np.ndarray:
    """``H x W x channels`` uint8; InputError naming ``path`` when it does not decode."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            return np.array(img.convert("L" if channels == 1 else "RGB")).reshape(img.size[1], img.size[0], -1)
    except Exception as exc:
        raise InputError(f"cannot read image {path.name}: {exc}", SourceLoc(str(path))) from None


def to_tensor(rgb: np.ndarray, mean, std) -> torch.Tensor:
    image = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().div_(255.0)
    mean = torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1)
    std = torch.tensor(std, dtype=torch.float32).view(-1, 1, 1)
    return (image - mean) / std


def unique_stems(paths: list[Path]) -> list[str]:
    """Output names: the file stems, made unique with the parent folder where needed."""
    stems = [p.stem for p in paths]
    seen: dict[str, int] = {}
    out = []
    for path, stem in zip(paths, stems):
        name = stem if stems.count(stem) == 1 else f"{path.parent.name}_{stem}"
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name}_{n}")
    return out


@torch.inference_mode()
def predict_files(predictor, paths: list[Path], out: Path, meta: dict, device: str, overlay: bool,
                  alpha: float, report=None) -> list[Path]:
    """Write ``NAME_mask.png`` (palette) and, with ``overlay``, ``NAME_overlay.png`` for
    each image; returns the written paths."""
    out.mkdir(parents=True, exist_ok=True)
    palette = full_palette(meta.get("palette"), meta["num_classes"])
    channels = meta.get("in_channels", 3)
    written = []
    predictor.model.eval()
    for path, stem in zip(paths, unique_stems(paths)):
        rgb = read_rgb(path, channels)
        logits = predictor(to_tensor(rgb, meta["mean"], meta["std"])[None].to(device))
        mask = logits.argmax(1)[0].to("cpu", torch.uint8).numpy()
        target = out / f"{stem}_mask.png"
        mask_image(mask, palette).save(target)
        written.append(target)
        if overlay:
            base = rgb if rgb.shape[2] == 3 else np.repeat(rgb, 3, axis=2)
            target = out / f"{stem}_overlay.png"
            overlay_image(base, mask, palette, alpha).save(target)
            written.append(target)
        if report is not None:
            report(path, written[-1])
    return written

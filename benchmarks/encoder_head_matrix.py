"""Every shipped head on every kind of encoder: `segkit check` of each (head, encoder)
pair, printed as a markdown table of parameter counts (millions) or why the pair is
refused. Encoders: segkit's registered backbones and spec files, and models imported
with `segkit import` (timm and torchvision; random weights, nothing is downloaded).

    python benchmarks/encoder_head_matrix.py [--input 3x256x256] [--import timm:efficientnet_b0 ...]

Not a timing: the figures of issue 15's note and docs/encoders.md. The slow test
tests/architectures/test_encoder_matrix.py::test_matrix checks the same pairs.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import segkit
from segkit.errors import SegkitError

ROOT = Path(__file__).resolve().parent.parent
HEADS = ("fcn8s", "unet_resnet34", "deeplab_v3", "deeplab_v3plus", "pspnet", "fastfcn", "refinenet", "fpn", "linknet",
         "unetplusplus", "upernet")
REGISTERED = ("resnet", "mobilenetv3", "./backbones/mobilenetv2.yaml", "./backbones/xception65.yaml")
IMPORTED = ("timm:resnet50", "timm:efficientnet_b0", "timm:convnext_tiny", "timm:resnest50d", "timm:hrnet_w18",
            "torchvision:mobilenet_v3_large")


def imported_spec(source: str, size: tuple[int, int], folder: Path) -> str:
    from segkit.importer.sources import load_source

    module = load_source(source, None, size).eval()
    path = folder / (source.replace(":", "_") + ".yaml")
    path.write_text(segkit.import_model(module, input=f"3x{size[0]}x{size[1]}").spec)
    return str(path)


def cell(head: str, encoder: str, size: str) -> str:
    try:
        report = segkit.check(ROOT / "specs" / f"{head}.yaml", input=size, encoder=encoder)
    except SegkitError as error:
        return "no: " + str(error).splitlines()[0].split("error: ")[-1][:60]
    return f"{report.params / 1e6:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", default="3x256x256")
    parser.add_argument("--import", dest="sources", nargs="*", default=list(IMPORTED))
    args = parser.parse_args()
    size = tuple(int(n) for n in args.input.split("x")[1:])
    with tempfile.TemporaryDirectory() as folder:
        encoders = {name: name for name in REGISTERED}
        encoders.update({source: imported_spec(source, size, Path(folder)) for source in args.sources})
        print(f"params (M) of each head on each encoder at {args.input}; 'no' gives the refusal\n")
        print("| head | " + " | ".join(f"`{name}`" for name in encoders) + " |")
        print("| --- |" + " ---: |" * len(encoders))
        for head in HEADS:
            print(f"| {head} | " + " | ".join(cell(head, path, args.input) for path in encoders.values()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Compiled spec vs hand-written nn.Module, same weights, same process: forward time ratio.

    python benchmarks/forward_vs_handwritten.py [--repeats 40] [--threads 2]

Target (issue 2): ratio <= 1.02. Prints one line per network and exits non-zero if a
ratio misses the target, so CI-like runs can use it; it is not part of the test suite.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from handwritten import FCN8sTiny, UNetValidTiny  # noqa: E402
from timing import compare  # noqa: E402

import segkit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CASES = [
    ("fcn8s_tiny", ROOT / "specs/examples/fcn8s_tiny.yaml", FCN8sTiny, "3x256x256", {"width": 16}),
    ("unet_valid_tiny", ROOT / "specs/examples/unet_valid_tiny.yaml", UNetValidTiny, "1x188x188", {"width": 16}),
    # small inputs: per-call overhead (generated code, module dispatch) is a larger share
    ("fcn8s_tiny", ROOT / "specs/examples/fcn8s_tiny.yaml", FCN8sTiny, "3x64x64", {"width": 16}),
    ("unet_valid_tiny", ROOT / "specs/examples/unet_valid_tiny.yaml", UNetValidTiny, "1x44x44", {"width": 16}),
]
TARGET = 1.02


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--batch", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    worst = 0.0
    print(f"torch {torch.__version__}, {args.threads} threads, batch {args.batch}, median of {args.repeats}")
    for name, spec, reference_cls, shape, params in CASES:
        compiled = segkit.build(spec, input=shape, **params).eval()
        reference = reference_cls(width=params["width"]).eval()
        missing = reference.load_state_dict(compiled.state_dict(), strict=True)
        assert not missing.missing_keys and not missing.unexpected_keys
        x = torch.randn(args.batch, *segkit.Shape.parse(shape).as_tuple())
        with torch.inference_mode():
            torch.testing.assert_close(compiled(x), reference(x))
            result = compare(lambda: compiled(x), lambda: reference(x), repeats=args.repeats)
        worst = max(worst, result.ratio)
        print(f"{name:18s} input {shape:10s} spec {result.candidate * 1e3:8.2f} ms   "
              f"hand-written {result.reference * 1e3:8.2f} ms   ratio {result.ratio:.3f}")
    print(f"worst ratio {worst:.3f} (target <= {TARGET})")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

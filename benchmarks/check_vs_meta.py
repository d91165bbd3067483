"""Static shape inference vs building the network on the meta device and running it.

    python benchmarks/check_vs_meta.py [SPEC ...] [--input 3x512x512] [--repeats 20]

Both sides start from the same resolved graph and produce every node's output shape:
- static: segkit's torch-free inference pass over the graph (``segkit.analysis.infer.infer``);
- meta:   instantiating every node's torch module on the meta device and running the
          compiled forward on a meta tensor (what you would do to get shapes from torch).
It also reports the whole ``segkit check`` (load + resolve + infer) for scale.
Target (issue 2): static at least 20x faster than meta.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import torch  # noqa: E402
from timing import median_time  # noqa: E402

import segkit  # noqa: E402
from segkit.analysis.infer import infer  # noqa: E402
from segkit.compiler.codegen import compile_graph  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET = 20.0


def measure(spec: Path, shape: str | None, repeats: int) -> tuple[float, float, float, int]:
    report = segkit.check(spec, input=shape)
    graph = report.graph
    shapes = report.input_shapes

    def static():
        infer(graph, shapes)

    def meta():
        with torch.device("meta"):
            model = compile_graph(graph)
            model(*(torch.empty(1, *s.as_tuple()) for s in shapes.values()))

    def whole_check():
        segkit.check(spec, input=shape)

    static()
    meta()
    return median_time(static, repeats), median_time(meta, repeats), median_time(whole_check, max(3, repeats // 4)), len(graph.nodes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("specs", nargs="*", type=Path)
    parser.add_argument("--input", default=None)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    specs = args.specs or [ROOT / "specs/refinenet.yaml"]
    worst = float("inf")
    for spec in specs:
        t_static, t_meta, t_check, n = measure(spec, args.input, args.repeats)
        ratio = t_meta / t_static
        worst = min(worst, ratio)
        print(f"{spec.name}: {n} nodes; static inference {t_static * 1e3:.1f} ms, meta build+run "
              f"{t_meta * 1e3:.1f} ms -> static is {ratio:.1f}x faster; whole `segkit check` {t_check * 1e3:.0f} ms")
    print(f"worst speed-up {worst:.1f}x (target >= {TARGET:.0f}x)")
    return 0 if worst >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

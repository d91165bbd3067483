"""Per-node cost of the static pass on conv/act chains of 500, 2,000 and 8,000 nodes.

    python benchmarks/check_scaling.py [--nodes 500 2000 8000] [--runs 5] [--markdown]

The static pass of ``segkit check`` (load, resolve, infer, report and the accepted input
sizes) should cost the same per node whatever the graph's size (issue 12: within 25 %
from 500 to 8,000 nodes). A spec may list at most 1,000 nodes, so the chain is written
as ``nodes / 10`` spec nodes, each ``conv_bn_act`` (norm none: a conv and a ReLU)
repeated 5 times: the spec entries, the YAML locations, ``repeat`` and composite
expansion all grow with the chain. Each size runs ``--runs`` times in this process
(after one warm-up run at the smallest size); the table gives the per-node time's
median and quartiles, in CPU time (this process's user+sys, what the pass costs
whatever else the machine runs) and in wall time, and the ratio of the median CPU
per-node cost to that of the smallest size.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import segkit

REPEAT = 5
"""conv_bn_act repeats per spec node: each repeat is 2 graph nodes (conv, act)."""


def chain_spec(nodes: int) -> str:
    """Spec text of a conv/act chain of ``nodes`` graph nodes (a multiple of 2 * REPEAT)."""
    per_entry = 2 * REPEAT
    if nodes % per_entry:
        raise ValueError(f"nodes must be a multiple of {per_entry}, got {nodes}")
    lines = ["segkit: 1", "name: chain", "inputs:", "  x: {channels: 8, size: 32}", "nodes:"]
    previous = "x"
    for i in range(nodes // per_entry):
        lines.append(f"  n{i}: {{block: conv_bn_act, from: {previous}, out: 8, norm: none, repeat: {REPEAT}}}")
        previous = f"n{i}"
    lines += ["outputs:", f"  out: {previous}"]
    return "\n".join(lines) + "\n"


def static_pass(text: str, registry) -> int:
    """What ``segkit check`` computes, without printing; returns the graph's node count."""
    report = segkit.check(text, registry=registry)
    report.describe_sizes()
    return len(report.graph.nodes)


def measure(nodes: int, runs: int, registry) -> tuple[list[float], list[float]]:
    """Per-node CPU and wall seconds of ``runs`` static passes over a chain of ``nodes``."""
    text = chain_spec(nodes)
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        count = static_pass(text, registry)
        c1, w1 = time.process_time(), time.perf_counter()
        assert count == nodes, f"the chain has {count} nodes, not {nodes}"
        cpu.append((c1 - c0) / nodes)
        wall.append((w1 - w0) / nodes)
    return cpu, wall


def quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, nargs="+", default=[500, 2000, 8000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args()
    registry = segkit.default_registry()
    static_pass(chain_spec(min(args.nodes)), registry)  # warm-up: caches, lazy imports
    header = "| nodes | CPU us/node (median) | CPU quartiles | wall us/node (median) | wall quartiles | CPU ratio to first |"
    print(header if args.markdown else header.replace("|", " ").strip())
    if args.markdown:
        print("|---:|---:|---|---:|---|---:|")
    base = None
    worst = 0.0
    for nodes in args.nodes:
        cpu, wall = measure(nodes, args.runs, registry)
        c1, c2, c3 = (v * 1e6 for v in quartiles(cpu))
        w1, w2, w3 = (v * 1e6 for v in quartiles(wall))
        base = base or c2
        ratio = c2 / base
        worst = max(worst, abs(ratio - 1))
        cells = [f"{nodes:,}", f"{c2:.0f}", f"[{c1:.0f}, {c3:.0f}]", f"{w2:.0f}", f"[{w1:.0f}, {w3:.0f}]", f"{ratio:.2f}"]
        print("| " + " | ".join(cells) + " |" if args.markdown else "  ".join(cells), flush=True)
    print(f"largest departure of the per-node CPU cost from the first size: {worst:.0%} (target <= 25 %)")
    return 0 if worst <= 0.25 else 1


if __name__ == "__main__":
    sys.exit(main())

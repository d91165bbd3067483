"""Timing helpers for benchmarks: interleaved runs in one process, medians, ratios.

Absolute times depend on the machine; the ratio of two callables measured interleaved
in the same process is what the benchmarks report and what docs quote.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass


@dataclass
class Comparison:
    """Median seconds of a candidate and a reference, and their ratio."""

    candidate: float
    reference: float

    @property
    def ratio(self) -> float:
        return self.candidate / self.reference


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compare(candidate, reference, repeats: int = 30, warmup: int = 3, rounds: int = 5) -> Comparison:
    """Median time of ``candidate`` and ``reference``, alternating in ``rounds`` blocks
    so drift in machine load hits both alike."""
    for _ in range(warmup):
        candidate()
        reference()
    cand, ref = [], []
    per_round = max(1, repeats // rounds)
    for _ in range(rounds):
        cand.append(median_time(candidate, per_round))
        ref.append(median_time(reference, per_round))
    return Comparison(statistics.median(cand), statistics.median(ref))

#!/usr/bin/env bash
# Everything segkit measures on a GPU, in one call of under 8 minutes, as one markdown
# table: the CUDA tests (pytest -m cuda), the spec-vs-torchvision table with the
# FastFCN speed-up (bench_vs_reference.py --device cuda), and training steps/s of the
# Trainer with and without --amp (train_vs_handwritten.py --device cuda --variants).
# Without CUDA it says so and exits 0.
#
#     bash benchmarks/gpu.sh            # PYTHON=... to pick the interpreter
set -u
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}

if ! "$PYTHON" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    echo "benchmarks/gpu.sh: torch sees no CUDA device; nothing to measure here"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
# time limits per part: 150 + 210 + 90 s, inside the 8 minutes with start-up to spare
timeout 150 "$PYTHON" -m pytest -q -p no:cacheprovider -m cuda tests/cuda >"$work/tests.txt" 2>&1
echo "tests: exit $?" >>"$work/tests.txt"
timeout 210 "$PYTHON" benchmarks/bench_vs_reference.py --device cuda --markdown --repeats 10 \
    >"$work/bench.txt" 2>&1
echo "bench: exit $?" >>"$work/bench.txt"
timeout 90 "$PYTHON" benchmarks/train_vs_handwritten.py --device cuda --variants --rounds 5 --steps 5 \
    >"$work/train.txt" 2>&1
echo "train: exit $?" >>"$work/train.txt"

"$PYTHON" benchmarks/gpu_table.py "$work" "$((SECONDS - start))"

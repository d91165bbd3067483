"""Compiled specs vs hand-written reference networks, same weights, same process.

    python benchmarks/bench_vs_reference.py [--device cpu|cuda] [--input 3x256x256] [--batch 1] [--train-batch 2]
        [--repeats 10] [--threads N] [--cases fcn_resnet50,deeplabv3_resnet50,unet_resnet34,fastfcn]
        [--method paired|rounds] [--fold-bn] [--forward-only] [--markdown]

Each case gives the spec / reference time ratio of the forward pass (eval,
inference_mode) and of forward+backward (train mode, loss = sum of output means).
``--method paired`` (default) alternates the two call by call (AB, BA, AB, ...) and
reports the median of the ``--repeats`` per-pair ratios with its quartiles, the most
robust measure on a shared machine whose load drifts; ``--method rounds`` is
benchmarks/timing.py's ``compare`` (medians of blocks of runs, interleaved in
``--rounds`` blocks). Cases:

- fcn_resnet50, deeplabv3_resnet50: specs/torchvision/*.yaml vs
  ``torchvision.models.segmentation.*`` (needs torchvision), torchvision's weights
  loaded into the spec with ``segkit.load_weights(model, sd, format="torchvision")``.
  Forward without the aux head on both sides (train_heads=False / aux_classifier None),
  forward+backward with it on both (at ``--train-batch``, default 2: DeepLab's image
  pooling BN needs more than one sample in train mode).
- unet_resnet34: specs/unet_resnet34.yaml vs benchmarks/smp_unet.py (the
  segmentation_models_pytorch U-Net with a ResNet-34 encoder, hand-written).
- fastfcn: not a same-weights comparison but the FastFCN claim (Wu et al. 2019): EncNet
  on a dilated ResNet-50 (output stride 8, specs/encnet.yaml) vs EncNet with JPU on an
  undilated one (specs/fastfcn.yaml, head encnet), forward at ``--fastfcn-input``
  (512x512 as in the paper); reports the speed-up encnet / fastfcn next to the
  paper's 2.0x.

Outputs are compared before timing (same weights must give the same result). With
``--fold-bn`` the spec's forward runs BN-folded (segkit.export.fold_bn) against the
unfolded reference. Target: ratio <= 1.00. Prints one line per measurement (and a
Markdown table with ``--markdown``); not part of the test suite.
"""
from __future__ import annotations

import argparse
import copy
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from timing import compare  # noqa: E402

import segkit  # noqa: E402
from segkit.export import fold_bn  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
PAPER_FASTFCN_SPEEDUP = 2.0
"""FastFCN (arXiv 1903.11816), Table 4: EncNet with JPU runs at about twice the FPS of
EncNet on the dilated (output stride 8) ResNet-50."""


@dataclass
class Paired:
    """Median times of candidate and reference over adjacent pairs of calls, and the
    median and quartiles of the per-pair ratios (candidate / reference)."""

    candidate: float
    reference: float
    ratio: float
    q1: float
    q3: float


def paired(candidate, reference, repeats: int, warmup: int) -> Paired:
    """Alternate the two callables call by call (AB, BA, AB, ...), so that load drift on a
    shared machine hits both alike, and take the median of the per-pair time ratios."""
    for _ in range(warmup):
        candidate()
        reference()
    cand, ref = [], []
    for i in range(repeats):
        order = ((candidate, cand), (reference, ref)) if i % 2 == 0 else ((reference, ref), (candidate, cand))
        for fn, times in order:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    ratios = [c / r for c, r in zip(cand, ref)]
    q1, _, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (ratios[0],) * 3
    return Paired(statistics.median(cand), statistics.median(ref), statistics.median(ratios), q1, q3)


def measure(candidate, reference, args):
    if args.method == "paired":
        return paired(candidate, reference, args.repeats, args.warmup)
    return compare(candidate, reference, repeats=args.repeats, warmup=args.warmup, rounds=args.rounds)


def flat(out):
    if isinstance(out, dict):
        return list(out.values())
    return [out]


def loss_of(out):
    return sum(t.float().mean() for t in flat(out))


def synced(fn, device):
    if device.type != "cuda":
        return fn

    def run():
        fn()
        torch.cuda.synchronize(device)

    return run


def forward_fn(model, x):
    def run():
        with torch.inference_mode():
            model(x)
    return run


def train_fn(model, x):
    params = [p for p in model.parameters() if p.requires_grad]

    def run():
        loss_of(model(x)).backward()
        for p in params:
            p.grad = None
    return run


def randomize_bn(model, seed=0):
    """Non-trivial BN statistics, so that equal outputs mean equal weights."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) * 0.5 + 0.75)


# ------------------------------------------------------------------------------ cases


def torchvision_pair(name, shape):
    """(spec eval model, spec train model, reference eval model, reference train model)."""
    import torchvision.models.segmentation as tvseg

    torch.manual_seed(0)
    ref_train = getattr(tvseg, name)(weights=None, weights_backbone=None, num_classes=21, aux_loss=True)
    randomize_bn(ref_train)
    ref_eval = copy.deepcopy(ref_train)
    ref_eval.aux_classifier = None
    spec = SPECS / "torchvision" / f"{name}.yaml"
    spec_train = segkit.build(spec, input=shape)
    report = segkit.load_weights(spec_train, ref_train.state_dict(), format="torchvision")
    assert report.ok, report.problems()
    spec_eval = segkit.build(spec, input=shape, train_heads=False)
    spec_eval.load_state_dict({k: v for k, v in spec_train.state_dict().items() if k in spec_eval.state_dict()})
    return spec_eval, spec_train, ref_eval, ref_train, lambda out: out["out"]


def unet_pair(name, shape):
    from smp_unet import SmpUnet, from_spec_state_dict

    torch.manual_seed(0)
    spec_model = segkit.build(SPECS / "unet_resnet34.yaml", input=shape)
    randomize_bn(spec_model)
    ref = SmpUnet(num_classes=21)
    ref.load_state_dict(from_spec_state_dict(spec_model.state_dict()), strict=True)
    return spec_model, spec_model, ref, ref, lambda out: out


PAIRS = {"fcn_resnet50": torchvision_pair, "deeplabv3_resnet50": torchvision_pair, "unet_resnet34": unet_pair}


def run_pair(name, args, device, rows):
    shape = args.input
    spec_eval, spec_train, ref_eval, ref_train, ref_out = PAIRS[name](name, shape)
    x = torch.randn(args.batch, *segkit.Shape.parse(shape).as_tuple())
    spec_eval, ref_eval = spec_eval.eval(), ref_eval.eval()
    with torch.inference_mode():
        expected = ref_out(ref_eval(x))
        torch.testing.assert_close(spec_eval(x), expected, rtol=1e-4, atol=1e-4)
    if args.fold_bn:
        spec_eval = fold_bn(spec_eval)
        with torch.inference_mode():  # folding reorders float32 rounding: ~1e-4 on ResNet-50 logits
            torch.testing.assert_close(spec_eval(x), expected, rtol=1e-3, atol=1e-3)
    models = [m.to(device) for m in (spec_eval, spec_train, ref_eval, ref_train)]
    spec_eval, spec_train, ref_eval, ref_train = models
    x = x.to(device)
    label = name + (" (spec BN-folded)" if args.fold_bn else "")
    result = measure(synced(forward_fn(spec_eval, x), device), synced(forward_fn(ref_eval, x), device), args)
    rows.append((label, "forward", shape, result))
    report(rows[-1])
    if args.fold_bn or args.forward_only:
        return
    spec_train.train()
    ref_train.train()
    x = torch.randn(args.train_batch, *x.shape[1:]).to(device)
    result = measure(synced(train_fn(spec_train, x), device), synced(train_fn(ref_train, x), device), args)
    rows.append((name, "forward+backward", shape, result))
    report(rows[-1])


def run_fastfcn(args, device, rows):
    shape = args.fastfcn_input
    x = torch.randn(args.batch, *segkit.Shape.parse(shape).as_tuple()).to(device)
    torch.manual_seed(0)
    jpu = segkit.build(SPECS / "fastfcn.yaml", input=shape, train_heads=False, head="encnet").eval().to(device)
    dilated = segkit.build(SPECS / "encnet.yaml", input=shape, train_heads=False, depth=50).eval().to(device)
    if args.fold_bn:
        jpu, dilated = fold_bn(jpu), fold_bn(dilated)
    result = measure(synced(forward_fn(jpu, x), device), synced(forward_fn(dilated, x), device), args)
    rows.append(("fastfcn (JPU) vs encnet (OS8)", "forward", shape, result))
    c = result
    print(f"{rows[-1][0]:34s} forward           input {shape:11s} fastfcn {c.candidate * 1e3:9.1f} ms   "
          f"encnet {c.reference * 1e3:9.1f} ms   speed-up {1 / c.ratio:.2f}x{speedup_spread(c)} "
          f"(paper {PAPER_FASTFCN_SPEEDUP:.1f}x)",
          flush=True)


def spread(c) -> str:
    return f" [{c.q1:.3f}, {c.q3:.3f}]" if isinstance(c, Paired) else ""


def speedup_spread(c) -> str:
    return f" [{1 / c.q3:.2f}x, {1 / c.q1:.2f}x]" if isinstance(c, Paired) else ""


def report(row):
    name, phase, shape, c = row
    print(f"{name:34s} {phase:17s} input {shape:11s} spec {c.candidate * 1e3:9.1f} ms   "
          f"reference {c.reference * 1e3:9.1f} ms   ratio {c.ratio:.3f}{spread(c)}", flush=True)


def markdown(rows, args, device):
    lines = ["| case | pass | input | spec ms | reference ms | spec / reference | quartiles |",
             "|---|---|---|---:|---:|---:|---|"]
    for name, phase, shape, c in rows:
        if name.startswith("fastfcn"):
            lines.append(f"| {name} | {phase} | {shape} | {c.candidate * 1e3:.1f} (fastfcn) | "
                         f"{c.reference * 1e3:.1f} (encnet) | speed-up {1 / c.ratio:.2f}x "
                         f"(paper {PAPER_FASTFCN_SPEEDUP:.1f}x) |{speedup_spread(c)} |")
        else:
            lines.append(f"| {name} | {phase} | {shape} | {c.candidate * 1e3:.1f} | {c.reference * 1e3:.1f} | "
                         f"{c.ratio:.3f} |{spread(c)} |")
    print("\n" + "\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--input", default="3x256x256", help="CxHxW of the same-weights cases")
    parser.add_argument("--fastfcn-input", default="3x512x512")
    parser.add_argument("--batch", type=int, default=1, help="forward batch")
    parser.add_argument("--train-batch", type=int, default=2, help="forward+backward batch")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--method", choices=["paired", "rounds"], default="paired",
                        help="paired: alternate call by call, median of per-pair ratios (default); "
                             "rounds: benchmarks/timing.py's compare, blocks of runs")
    parser.add_argument("--rounds", type=int, default=5, help="blocks of --method rounds")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--cases", default="fcn_resnet50,deeplabv3_resnet50,unet_resnet34,fastfcn")
    parser.add_argument("--fold-bn", action="store_true", help="time the spec BN-folded (forward only)")
    parser.add_argument("--forward-only", action="store_true")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else \
        f"{platform.processor() or platform.machine()}, {args.threads} threads"
    how = f"{args.repeats} alternating pairs" if args.method == "paired" else \
        f"median of {args.repeats} interleaved in {args.rounds} rounds"
    print(f"torch {torch.__version__}, {device.type} ({where}), batch {args.batch} forward, "
          f"{args.train_batch} forward+backward, {how}", flush=True)
    rows = []
    for case in args.cases.split(","):
        if case == "fastfcn":
            run_fastfcn(args, device, rows)
            continue
        if case in ("fcn_resnet50", "deeplabv3_resnet50"):
            try:
                import torchvision  # noqa: F401
            except ImportError:
                print(f"{case}: skipped (needs torchvision; use /tmp/venv-tv or pip install torchvision)")
                continue
        run_pair(case, args, device, rows)
    if args.markdown:
        markdown(rows, args, device)
    return 0


if __name__ == "__main__":
    sys.exit(main())

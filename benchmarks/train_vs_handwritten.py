"""`segkit train`'s step (Trainer.step) vs a minimal hand-written loop, same process.

    python benchmarks/train_vs_handwritten.py [--spec specs/unet_small.yaml] [--batch 8]
        [--rounds 10] [--steps 5] [--threads 2] [--device cpu|cuda] [--variants]

Both loops train copies of the same compiled model from the same weights, on the same
batch of the synthetic dataset (through the Trainer's own DataLoader), with AdamW on
the same parameter groups and cross-entropy; the hand-written one is
``loss = CE(model(x), y); zero_grad; backward; step`` and nothing else. They alternate
in ``rounds`` blocks of ``steps`` steps; each round gives one ratio of medians, and the
script prints the median ratio and its quartiles (target: overhead <= 3 % on CPU).

It also times fetching a batch from the Trainer's loader at the default workers (0),
against the step, to show whether data loading is the bottleneck, and with
``--variants`` the Trainer's step with --amp, --channels-last and --compile against the
plain Trainer step, and ``segkit eval``'s forward (the Predictor) with the same flags
against the plain forward, alternating likewise. Not part of the test suite; figures go to
docs/performance.md.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from segkit.train.trainer import TrainConfig, Trainer

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.03


def make_trainer(args, out, **flags) -> Trainer:
    config = TrainConfig(spec=args.spec, data="synthetic", epochs=1, batch_size=args.batch, device=args.device,
                         out=out, warmup_iters=0, **flags)
    trainer = Trainer(config)
    trainer.setup()
    trainer.ddp.train()
    return trainer


def hand_written(trainer: Trainer):
    """A plain loop over a copy of the trainer's model: its own AdamW (same groups, lr
    and weight decay) and cross-entropy."""
    model = copy.deepcopy(trainer.model).train()
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    group = trainer.optimizer.param_groups[0]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": group["weight_decay"]},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=group["lr"])
    criterion = torch.nn.CrossEntropyLoss(ignore_index=trainer.meta["ignore_index"])

    def step(images, masks):
        out = model(images)
        loss = criterion(out if torch.is_tensor(out) else out["out"], masks)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.detach()

    return step


def timed(fn, steps: int, sync) -> float:
    """Median seconds of ``steps`` calls."""
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def alternate(candidate, reference, rounds: int, steps: int, sync) -> tuple[float, float, float, float, float]:
    """(median candidate s, median reference s, ratio median, q1, q3) over rounds."""
    for _ in range(2):
        candidate()
        reference()
    sync()
    cand, ref, ratios = [], [], []
    for _ in range(rounds):
        c, r = timed(candidate, steps, sync), timed(reference, steps, sync)
        cand.append(c)
        ref.append(r)
        ratios.append(c / r)
    q1, _, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (ratios[0],) * 3
    return statistics.median(cand), statistics.median(ref), statistics.median(ratios), q1, q3


def eval_variants(trainer: Trainer, images, args, sync) -> None:
    """``segkit eval``'s forward (the Predictor, no_grad, eval mode) with --amp,
    --channels-last and --compile against the plain one, alternating likewise."""
    from segkit.train.evaluation import Predictor

    model = copy.deepcopy(trainer.model).eval()
    plain = Predictor(model)
    variants = {
        "amp": Predictor(model, amp=True),
        "channels_last": Predictor(copy.deepcopy(model).to(memory_format=torch.channels_last), channels_last=True),
        "compile": Predictor(torch.compile(copy.deepcopy(model))),
    }
    with torch.no_grad():
        for flag, predictor in variants.items():
            c, r, ratio, q1, q3 = alternate(lambda p=predictor: p.forward(images), lambda: plain.forward(images),
                                            args.rounds, args.steps, sync)
            print(f"eval --{flag.replace('_', '-')}: {c * 1e3:.1f} ms vs {r * 1e3:.1f} ms plain: ratio {ratio:.3f} "
                  f"(quartiles {q1:.3f}-{q3:.3f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec", default=str(ROOT / "specs/unet_small.yaml"))
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--variants", action="store_true", help="Also time --amp, --channels-last, --compile.")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    with tempfile.TemporaryDirectory() as out:
        trainer = make_trainer(args, out)
        device = torch.device(trainer.env.device)
        images, masks = next(iter(trainer.loader))
        images, masks = images.to(device), masks.to(device)
        plain = hand_written(trainer)
        print(f"{Path(args.spec).name}: batch {args.batch}, crop {trainer.crop[0]}x{trainer.crop[1]}, "
              f"{args.device}, torch {torch.__version__}, {args.threads} threads; {args.rounds} rounds x "
              f"{args.steps} steps")
        c, r, overhead, q1, q3 = alternate(lambda: trainer.step(images, masks), lambda: plain(images, masks),
                                           args.rounds, args.steps, sync)
        print(f"Trainer.step {c * 1e3:.1f} ms, hand-written {r * 1e3:.1f} ms: ratio {overhead:.3f} "
              f"(quartiles {q1:.3f}-{q3:.3f}; target <= {TARGET})")
        batches = iter(trainer.loader)
        fetch = timed(lambda: next(batches), min(args.steps * 2, len(trainer.loader) - 1), lambda: None)
        print(f"data: {fetch * 1e3:.1f} ms per batch at --workers {trainer.config.workers} "
              f"({fetch / c:.1%} of a step)")
        if args.variants:
            for flag in ("amp", "channels_last", "compile"):
                variant = make_trainer(args, out, **{flag: True})
                x = images.contiguous(memory_format=torch.channels_last) if flag == "channels_last" else images
                c, r, ratio, q1, q3 = alternate(lambda v=variant, x=x: v.step(x, masks), lambda: trainer.step(images, masks),
                                                args.rounds, args.steps, sync)
                print(f"--{flag.replace('_', '-')}: {c * 1e3:.1f} ms vs {r * 1e3:.1f} ms plain: ratio {ratio:.3f} "
                      f"(quartiles {q1:.3f}-{q3:.3f})")
            eval_variants(trainer, images, args, sync)
    return 0 if overhead <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

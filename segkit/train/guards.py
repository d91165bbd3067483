"""Guards of a training run: numeric options in range before it starts, a finite loss at
every step and finite weights before every save while it runs.

A run that diverges stops with :class:`DivergedError` (exit 2) naming the epoch, the
step and the last good checkpoint, before a non-finite value reaches the optimizer or
a checkpoint: ``last.pt`` and ``best.pt`` only ever hold finite weights.
"""
from __future__ import annotations

import math
from pathlib import Path

from segkit.errors import InputError, SegkitError, SourceLoc
from segkit.train.distributed import all_reduce_sum

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.


class DivergedError(SegkitError):
    """The loss or the weights of a training run stopped being finite."""


_RANGES = {
    # option: (config field, lowest, whether the lowest itself is allowed, allowed values in words)
    "--lr": ("lr", 0.0, False, "a positive number"),
    "--weight-decay": ("weight_decay", 0.0, True, "a number >= 0"),
    "--aux-weight": ("aux_weight", 0.0, True, "a number >= 0"),
}


def check_numbers(config) -> None:
    """Refuse a numeric option that is NaN, infinite or out of its range (None: the
    option was not given and takes its default)."""
    for option, (name, low, low_ok, allowed) in _RANGES.items():
        value = getattr(config, name)
        if value is not None and not (math.isfinite(value) and (value >= low if low_ok else value > low)):
            raise InputError(f"{option} takes {allowed}, got {value:g}", SourceLoc(option))


def loss_is_finite(loss, env) -> bool:
    """Whether the loss is finite on every process (one small all-reduce under DDP, so
    that every process stops at the same step instead of waiting for a dead peer)."""
    import torch

    bad = (~torch.isfinite(loss.detach().float())).sum().reshape(1).double()
    return float(all_reduce_sum(bad, env)) == 0


def weights_are_finite(model) -> bool:
    """Whether every floating-point parameter and buffer of ``model`` is finite."""
    import torch

    return all(bool(torch.isfinite(t).all()) for t in model.state_dict().values()
               if torch.is_tensor(t) and t.is_floating_point())


def diverged(what: str, epoch: int, step: int, steps: int, last_good: tuple[Path, int] | None) -> DivergedError:
    """The error of a run whose ``what`` became non-finite at ``step`` of ``steps`` in
    (1-based) ``epoch``; ``last_good`` is the last checkpoint saved (path, epoch)."""
    if last_good is None:
        saved = "no checkpoint was saved before it"
        hint = "lower --lr (or disable --amp) and train again"
    else:
        path, at = last_good
        saved = f"the last good checkpoint is {path} (after epoch {at})"
        hint = f"lower --lr (or disable --amp) and resume: --resume {path}"
    return DivergedError(f"training diverged: {what} at epoch {epoch}, step {step} of {steps}; {saved}",
                         SourceLoc("--lr"), hint)


def batch_statistics_error(exc: ValueError, batch: int, crop) -> SegkitError | ValueError:
    """The InputError that torch's "Expected more than 1 value per channel when
    training" means (a BatchNorm given one value per channel: a batch of 1 on 1x1
    feature maps), located at ``--batch-size``; any other ValueError unchanged."""
    if "more than 1 value per channel" not in str(exc):
        return exc
    return InputError(f"a BatchNorm layer of the model gets a single value per channel in training (a batch of "
                      f"{batch} per process, and its feature maps are 1x1 at crop {crop[0]}x{crop[1]}), so its batch "
                      "statistics are undefined", SourceLoc("--batch-size"),
                      "use --batch-size of at least 2 per process (with enough training samples), or a larger --crop")

"""The poly learning-rate schedule with linear warmup (Chen et al., DeepLab, 2017),
stepped once per iteration:

    lr(t) = base_lr * (1 - t / max_iters) ** power          for t >= warmup_iters
    lr(t) = lr_poly(t) * (ratio + (1 - ratio) * t / warmup_iters)   during warmup
"""
from __future__ import annotations

from torch.optim.lr_scheduler import LRScheduler


class PolyLR(LRScheduler):
    """Poly decay to ``min_lr`` over ``max_iters`` steps, after a linear warmup from
    ``warmup_ratio * lr``. Its state (``last_epoch`` counts iterations) is saved in
    checkpoints, so a resumed run continues the same curve."""

    def __init__(self, optimizer, max_iters: int, power: float = 0.9, warmup_iters: int = 0,
                 warmup_ratio: float = 0.1, min_lr: float = 0.0, last_epoch: int = -1):
        self.max_iters = max(1, int(max_iters))
        self.power = float(power)
        self.warmup_iters = max(0, int(warmup_iters))
        self.warmup_ratio = float(warmup_ratio)
        self.min_lr = float(min_lr)
        super().__init__(optimizer, last_epoch)

    def factor(self, step: int) -> float:
        t = min(max(step, 0), self.max_iters)
        factor = (1.0 - t / self.max_iters) ** self.power
        if self.warmup_iters and t < self.warmup_iters:
            factor *= self.warmup_ratio + (1.0 - self.warmup_ratio) * t / self.warmup_iters
        return factor

    def get_lr(self) -> list[float]:
        f = self.factor(self.last_epoch)
        return [self.min_lr + (base - self.min_lr) * f for base in self.base_lrs]

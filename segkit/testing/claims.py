"""The static claims of a block beyond shapes, params and MACs, checked against PyTorch:
its size rule (``Block.spatial_rule``) and its geometry (stride and receptive field).

``check_size_rule`` evaluates the symbolic rule at a concrete case: where ``infer`` (and
so PyTorch) accepts the inputs, the rule must accept their sizes and give the same
output sizes; a rule that rejects sizes PyTorch takes (it claims the size halves) makes
``segkit check`` report accepted sizes that contradict its own checks.

``measure_geometry`` runs the block in eval mode and takes the gradient of one central
output pixel with respect to the first input: the extent of its non-zero support per
dim is the receptive field, and the shift of the support between output pixels ``o``
and ``o + b`` is the stride ``a/b``. ``check_geometry`` compares that with the declared
``Inference.geometry``.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction

import torch

from segkit.core.block import Block
from segkit.core.shape import Inference, Shape
from segkit.core.size_algebra.dim import Dim, PeriodTooLarge, lift


def _holds(condition, s: int) -> bool:
    return bool(condition) if isinstance(condition, bool) else s in condition


def check_size_rule(block: Block, p, shapes: tuple[Shape, ...], inference: Inference) -> None:
    """Assert that the block's size rule accepts the sizes of ``shapes``, which ``infer``
    and PyTorch accept, and gives ``inference``'s output sizes. Each spatial dim of the
    first input is varied in turn (the dim of every input that has the same size there
    is the variable, the rest constants), as ``segkit check`` varies the input size."""
    for d in range(shapes[0].rank):
        s = shapes[0].spatial[d]
        sizes = [tuple(Dim.var() if j == d and n == s else Dim.const(n) for j, n in enumerate(x.spatial))
                 for x in shapes]
        try:
            rule = block.spatial_rule(p, *sizes)
        except PeriodTooLarge:
            return
        if rule is None:
            return
        where = f"{block.name!r} with {p!r} on {', '.join(map(str, shapes))}"
        accepted = _holds(rule.valid, s) and all(any(_holds(c, s) for c in clause) for clause in rule.any_dim)
        assert accepted, (f"size rule: spatial_rule rejects size {s} of spatial dim {d}, but infer and torch accept "
                          f"{where}; the rule must accept every size infer accepts")
        for name, out in rule.outputs.items():
            want = inference.outputs[name]
            if len(out) == want.rank:
                got = lift(out[d]).at(s)
                assert got == want.spatial[d], (f"size rule: spatial_rule gives output {name!r} size {got} in "
                                                f"spatial dim {d}, torch gives {want.spatial[d]}, for {where}")


@dataclass(frozen=True)
class Support:
    """Which input pixels of the first input one output pixel depends on, per dim:
    ``lo``..``hi`` (inclusive), out of ``size``."""

    lo: tuple[int, ...]
    hi: tuple[int, ...]
    size: tuple[int, ...]

    @property
    def extent(self) -> tuple[int, ...]:
        return tuple(h - lo + 1 for lo, h in zip(self.lo, self.hi))

    def fits(self, d: int, extent: float) -> bool:
        """Whether a window of ``extent`` centred on the support lies inside the input in
        dim ``d``; when not, padding may have cut the support short (or left only one
        tap of a dilated kernel), and a smaller support proves nothing."""
        centre = (self.lo[d] + self.hi[d]) / 2
        return centre - extent / 2 >= 0 and centre + extent / 2 <= self.size[d] - 1


def support(module, tensors: list[torch.Tensor], pixel: tuple[int, ...]) -> Support | None:
    """The gradient support in ``tensors[0]`` of output pixel ``pixel`` of the first
    output, over the batch and random channel weights (so that a dead ReLU in one sample
    does not hide a dependency); None when nothing depends on the input."""
    inputs = [t.detach().clone().requires_grad_(i == 0) for i, t in enumerate(tensors)]
    result = module(*inputs)
    out = result if isinstance(result, torch.Tensor) else result[0]
    picked = out[(slice(None), slice(None), *pixel)]
    if not picked.requires_grad:  # the output does not depend on the first input here
        return None
    (grad,) = torch.autograd.grad((picked * torch.randn_like(picked)).sum(), inputs[0], allow_unused=True)
    if grad is None:
        return None
    mask = (grad != 0).flatten(0, 1).any(0)
    if not mask.any():
        return None
    lo, hi = [], []
    for d in range(mask.dim()):
        hit = mask.flatten(0, d - 1).any(0) if d else mask
        hit = hit.flatten(1).any(1) if hit.dim() > 1 else hit
        where = torch.nonzero(hit).flatten()
        lo.append(int(where.min()))
        hi.append(int(where.max()))
    return Support(tuple(lo), tuple(hi), tuple(mask.shape))


def _runner(block: Block, p, shapes):
    call = block.call(p)
    if call is not None:
        fn, kwargs = call
        return lambda *xs: fn(*xs, **kwargs)
    return block.build(p, *shapes).eval()


def _declared_rf(geometry, d: int) -> float:
    """The receptive field the geometry declares for an input of receptive field 1."""
    if geometry.kernel is None:
        return 1
    jump = geometry.jump[d] if geometry.jump else Fraction(1)
    return 1 + (geometry.kernel[d] - 1) * min(Fraction(1), jump)


def describe_support(found: Support | None, shape: Shape) -> str:
    if found is None:
        return "no input pixel"
    if found.extent == shape.spatial:
        return "the whole input (declare geometry=Geometry.whole())"
    return "x".join(map(str, found.extent)) + " input pixels"


def check_geometry(block: Block, p, shapes: tuple[Shape, ...], inference: Inference, batch: int = 64) -> None:
    """Assert that the declared geometry's receptive field and stride are what PyTorch
    does (see the module doc). The batch is large because some gradients are sparse (a
    max pool passes one per window): the support is their union over the batch. Cases where padding may have cut the output pixel's
    window short are not conclusive and pass; a block that declares no geometry gets a
    warning with the measured receptive field instead (segkit shows it as ``?``)."""
    x, out = shapes[0], inference.out
    geometry = inference.geometry
    if x.rank == 0 or out.rank != x.rank or (geometry is not None and geometry.like is not None):
        return
    torch.manual_seed(0)
    tensors = [torch.randn(batch, *s.as_tuple()) for s in shapes]
    module = _runner(block, p, shapes)
    centre = tuple(n // 2 for n in out.spatial)
    found = support(module, tensors, centre)
    where = f"{block.name!r} with {p!r} on {', '.join(map(str, shapes))}"
    if geometry is None:
        warnings.warn(f"{where}: infer declares no geometry, so segkit shows its receptive field as '?'; "
                      f"torch's output pixel {list(centre)} reads {describe_support(found, x)}", stacklevel=3)
        return
    if found is None:
        return
    if geometry.global_:  # non-local; weights that fade to zero (a Gaussian) may not reach every pixel
        local = [d for d in range(x.rank) if x.spatial[d] > 1 and found.extent[d] == 1]
        assert not local, (f"receptive field: {where} declares Geometry.whole() but output pixel "
                           f"{list(centre)} reads only {describe_support(found, x)}")
        return
    for d in range(x.rank):
        declared = _declared_rf(geometry, d)
        measured = found.extent[d]
        assert measured <= math.ceil(declared), (
            f"receptive field: {where} declares {declared} in spatial dim {d}, but torch's output pixel "
            f"{list(centre)} reads {describe_support(found, x)}")
        upsampling = geometry.jump is not None and geometry.jump[d] < 1  # reads 1 or 2 pixels by parity
        assert measured >= declared or not found.fits(d, declared) or upsampling, (
            f"receptive field: {where} declares {declared} in spatial dim {d}, but torch's output pixel "
            f"{list(centre)} reads only {measured} input pixels there")
    check_stride(module, tensors, geometry, centre, found, out, where)


def check_stride(module, tensors, geometry, centre, found: Support, out: Shape, where: str) -> None:
    """Assert the declared jump ``a/b`` per dim: output pixels ``o`` and ``o + b`` read
    supports starting ``a`` apart (unless padding may have cut either short)."""
    for d in range(out.rank):
        jump = geometry.jump[d] if geometry.jump else Fraction(1)
        step = jump.denominator
        declared = _declared_rf(geometry, d)
        if centre[d] + step >= out.spatial[d] or not found.fits(d, declared):
            continue
        pixel = tuple(c + step if i == d else c for i, c in enumerate(centre))
        other = support(module, tensors, pixel)
        if other is None or not other.fits(d, declared) or other.extent[d] != found.extent[d]:
            continue
        shift = other.lo[d] - found.lo[d]
        assert shift == jump.numerator, (
            f"stride: {where} declares a jump of {jump} in spatial dim {d}, but output pixels {centre[d]} and "
            f"{pixel[d]} read input from {found.lo[d]} and {other.lo[d]} (a jump of {Fraction(shift, step)})")

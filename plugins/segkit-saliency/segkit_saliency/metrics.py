"""Salient object detection metrics, as the RGB-D benchmark code UC-Net reports with
(Fan et al.'s MATLAB toolbox: ``measure/*.m`` of JingZhang617/UCNet, the same definitions
as the SOD / D3Net evaluation code).

Inputs: a saliency map ``pred`` with values in [0, 1] (probabilities: apply a sigmoid to
logits, or pass ``logits=True`` to a meter; uint8 maps are divided by 255) and a binary
ground truth ``gt`` (bool, 0/1, or 0/255: values above 0.5, or above 128 when the map
holds values above 1, are salient). ``normalize=True`` first min-max normalises each map
to [0, 1] as the benchmark scripts do (``mapminmax``); off by default, so a model's
probabilities are scored as they are.

Definitions (per image; dataset scores are means over images):

- **MAE**: ``mean |pred - gt|``.
- **F-measure**: ``F = (1 + b2) P R / (b2 P + R)`` with ``b2 = 0.3``; precision ``P`` and
  recall ``R`` of the binary map ``pred >= t``; ``F = 0`` when no salient pixel is
  found. Over the 256 thresholds ``t = k / 255`` (k = 0..255) each image gives an F
  curve; the dataset curve is the mean over images; **mean F** (what ``FMeasure.
  compute()`` returns, UC-Net's ``F_beta``) is the mean of that curve over the 256
  thresholds, **max F** its maximum. The **adaptive F** thresholds each map at
  ``min(2 * mean(pred), 1)`` (Achanta et al., CVPR 2009), averaged over images.
- **S-measure** (Fan et al., "Structure-measure", ICCV 2017), ``alpha = 0.5``:
  ``S = alpha * S_object + (1 - alpha) * S_region`` (clipped at 0); ``S = 1 - mean(pred)``
  for an all-background gt, ``mean(pred)`` for an all-foreground gt. ``S_object =
  u O_fg + (1 - u) O_bg`` with ``u`` the salient fraction, ``O = 2 x / (x^2 + 1 +
  sigma + eps)`` over ``pred`` on the salient pixels (``x`` mean, ``sigma`` sample
  standard deviation) and over ``1 - pred`` on the background. ``S_region``: the gt
  centroid (1-based, rounded half away from zero) splits both maps into four blocks,
  weighted by area; each block scores the SSIM-like ``4 x y s_xy / ((x^2 + y^2)(s_x^2 +
  s_y^2) + eps)`` (1 when both numerator and denominator are 0, 0 when only the
  numerator is; an empty block scores 0 with weight 0).
- **E-measure** (Fan et al., "Enhanced-alignment Measure", IJCAI 2018): for a binary map
  ``FM``, ``phi = 2 (G - mean G)(FM - mean FM) / ((G - mean G)^2 + (FM - mean FM)^2 +
  eps)``, ``E = sum((1 + phi)^2 / 4) / (H W - 1 + eps)`` (divided by ``H W - 1`` as the
  reference code, so a perfect map scores ``H W / (H W - 1)``); an all-background gt
  gives ``sum(1 - FM)``, an all-foreground one ``sum(FM)`` in the numerator. **mean E**
  (``EMeasure.compute()``, UC-Net's ``E_xi``) averages the E curve over the thresholds
  ``k / 255`` as for F; max E and the adaptive E (threshold ``min(2 mean, 1)``) are in
  ``summary()``.

Meters (registered metrics ``mae``, ``f_measure``, ``s_measure``, ``e_measure`` and
``saliency``): ``update(pred, gt)`` with one map (``H x W``) or a batch (``N x H x W``,
``N x 1 x H x W``; numpy arrays or torch tensors), ``compute()`` the headline number,
``summary()`` a dict, ``reset()``, ``merge(other)``.
"""
from __future__ import annotations

import math

import numpy as np

EPS = float(np.finfo(np.float64).eps)
"""MATLAB's eps, as the reference code adds it."""
THRESHOLDS = np.arange(256, dtype=np.float64) / 255.0
"""The 256 thresholds k / 255 (ascending) of the F and E curves."""
BETA2 = 0.3


# -- inputs ---------------------------------------------------------------------------

def as_map(pred, normalize: bool = False) -> np.ndarray:
    """``pred`` as a float64 map in [0, 1] (uint8 / 255; optional min-max normalisation)."""
    pred = np.asarray(pred)
    if pred.dtype == np.uint8:
        pred = pred.astype(np.float64) / 255.0
    pred = pred.astype(np.float64)
    if normalize:
        lo, hi = pred.min(initial=0.0), pred.max(initial=0.0)
        if hi > lo:
            pred = (pred - lo) / (hi - lo)
    if pred.size and (pred.min() < 0 or pred.max() > 1 or np.isnan(pred).any()):
        raise ValueError("saliency maps must lie in [0, 1]; apply a sigmoid to logits (or logits=True), "
                         "or normalize=True")
    return pred


def as_mask(gt) -> np.ndarray:
    """``gt`` as a bool map: bool as is, else values above 0.5 (above 128 if any exceeds 1)."""
    gt = np.asarray(gt)
    if gt.dtype == bool:
        return gt
    return gt > (128 if gt.size and gt.max() > 1 else 0.5)


def _pair(pred, gt, normalize: bool) -> tuple[np.ndarray, np.ndarray]:
    pred, gt = as_map(pred, normalize), as_mask(gt)
    if pred.shape != gt.shape:
        raise ValueError(f"saliency map is {pred.shape} but ground truth is {gt.shape}")
    return pred, gt


# -- per image ------------------------------------------------------------------------

def mae(pred, gt, normalize: bool = False) -> float:
    """Mean absolute error between the map and the binary ground truth."""
    pred, gt = _pair(pred, gt, normalize)
    return float(np.abs(pred - gt).mean())


def _counts(pred: np.ndarray, gt: np.ndarray, thresholds) -> tuple[np.ndarray, np.ndarray]:
    """Per threshold t: true positives and predicted positives of ``pred >= t``."""
    t = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    every = np.sort(pred.ravel())
    salient = np.sort(pred[gt])
    predicted = every.size - np.searchsorted(every, t, side="left")
    tp = salient.size - np.searchsorted(salient, t, side="left")
    return tp.astype(np.float64), predicted.astype(np.float64)


def _f_from_counts(tp, predicted, positives: float, beta2: float) -> np.ndarray:
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = tp / positives if positives > 0 else np.zeros_like(tp)
    num = (1 + beta2) * precision * recall
    den = beta2 * precision + recall
    return np.divide(num, den, out=np.zeros_like(tp), where=tp > 0)


def adaptive_threshold(pred: np.ndarray) -> float:
    """``min(2 * mean(pred), 1)``."""
    return min(2.0 * float(pred.mean()), 1.0)


def f_measure_curve(pred, gt, beta2: float = BETA2, normalize: bool = False) -> np.ndarray:
    """F-measure of ``pred >= k / 255`` for k = 0..255."""
    pred, gt = _pair(pred, gt, normalize)
    tp, predicted = _counts(pred, gt, THRESHOLDS)
    return _f_from_counts(tp, predicted, float(gt.sum()), beta2)


def f_measure(pred, gt, threshold: float | None = None, beta2: float = BETA2, normalize: bool = False) -> float:
    """F-measure of ``pred >= threshold`` (default: the adaptive threshold)."""
    pred, gt = _pair(pred, gt, normalize)
    t = adaptive_threshold(pred) if threshold is None else threshold
    tp, predicted = _counts(pred, gt, [t])
    return float(_f_from_counts(tp, predicted, float(gt.sum()), beta2)[0])


def _e_from_counts(tp, predicted, positives: float, n: int) -> np.ndarray:
    """E-measure of binary maps with ``tp`` true and ``predicted`` positives, from the four
    (FM, GT) pixel kinds: the alignment term depends only on the kind."""
    tp = np.asarray(tp, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    if positives == 0:
        total = n - predicted
    elif positives == n:
        total = predicted
    else:
        mu_fm, mu_gt = predicted / n, positives / n
        fp, fn = predicted - tp, positives - tp
        tn = n - positives - fp
        total = np.zeros_like(tp)
        for count, fm, g in ((tp, 1.0, 1.0), (fp, 1.0, 0.0), (fn, 0.0, 1.0), (tn, 0.0, 0.0)):
            a_fm, a_gt = fm - mu_fm, g - mu_gt
            align = 2.0 * a_gt * a_fm / (a_gt * a_gt + a_fm * a_fm + EPS)
            total = total + count * (align + 1.0) ** 2 / 4.0
    return total / (n - 1 + EPS)


def e_measure_curve(pred, gt, normalize: bool = False) -> np.ndarray:
    """E-measure of ``pred >= k / 255`` for k = 0..255."""
    pred, gt = _pair(pred, gt, normalize)
    tp, predicted = _counts(pred, gt, THRESHOLDS)
    return _e_from_counts(tp, predicted, float(gt.sum()), gt.size)


def e_measure(pred, gt, threshold: float | None = None, normalize: bool = False) -> float:
    """E-measure of ``pred >= threshold`` (default: the adaptive threshold)."""
    pred, gt = _pair(pred, gt, normalize)
    t = adaptive_threshold(pred) if threshold is None else threshold
    tp, predicted = _counts(pred, gt, [t])
    return float(_e_from_counts(tp, predicted, float(gt.sum()), gt.size)[0])


def _round_half_away(value: float) -> int:
    """MATLAB's round for non-negative values."""
    return int(math.floor(value + 0.5))


def _object_score(values: np.ndarray) -> float:
    if values.size == 0:
        return 0.0
    x = float(values.mean())
    sigma = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return 2.0 * x / (x * x + 1.0 + sigma + EPS)


def s_object(pred: np.ndarray, gt: np.ndarray) -> float:
    """Object-aware structural similarity of S-measure."""
    u = float(gt.mean())
    return u * _object_score(pred[gt]) + (1.0 - u) * _object_score(1.0 - pred[~gt])


def _block_ssim(pred: np.ndarray, gt: np.ndarray) -> float:
    n = pred.size
    if n == 0:
        return 0.0
    g = gt.astype(np.float64)
    x, y = float(pred.mean()), float(g.mean())
    sigma_x2 = float(((pred - x) ** 2).sum()) / (n - 1 + EPS)
    sigma_y2 = float(((g - y) ** 2).sum()) / (n - 1 + EPS)
    sigma_xy = float(((pred - x) * (g - y)).sum()) / (n - 1 + EPS)
    alpha = 4.0 * x * y * sigma_xy
    beta = (x * x + y * y) * (sigma_x2 + sigma_y2)
    if alpha != 0:
        return alpha / (beta + EPS)
    return 1.0 if beta == 0 else 0.0


def s_region(pred: np.ndarray, gt: np.ndarray) -> float:
    """Region-aware structural similarity of S-measure (four blocks split at the gt centroid)."""
    h, w = gt.shape
    total = float(gt.sum())
    if total == 0:
        cx, cy = _round_half_away(w / 2), _round_half_away(h / 2)
    else:
        cols = gt.sum(axis=0) @ np.arange(1, w + 1)
        rows = gt.sum(axis=1) @ np.arange(1, h + 1)
        cx, cy = _round_half_away(cols / total), _round_half_away(rows / total)
    area = float(h * w)
    w1 = cx * cy / area
    w2 = (w - cx) * cy / area
    w3 = cx * (h - cy) / area
    w4 = 1.0 - w1 - w2 - w3
    blocks = ((slice(0, cy), slice(0, cx)), (slice(0, cy), slice(cx, w)),
              (slice(cy, h), slice(0, cx)), (slice(cy, h), slice(cx, w)))
    scores = [_block_ssim(pred[b], gt[b]) for b in blocks]
    return float(sum(wk * s for wk, s in zip((w1, w2, w3, w4), scores)))


def s_measure(pred, gt, alpha: float = 0.5, normalize: bool = False) -> float:
    """Structure measure (Fan et al., ICCV 2017)."""
    pred, gt = _pair(pred, gt, normalize)
    if pred.ndim != 2:
        raise ValueError(f"S-measure takes one H x W map, got shape {pred.shape}")
    y = float(gt.mean())
    if y == 0:
        return 1.0 - float(pred.mean())
    if y == 1:
        return float(pred.mean())
    return max(alpha * s_object(pred, gt) + (1.0 - alpha) * s_region(pred, gt), 0.0)


# -- meters ---------------------------------------------------------------------------

def _batch(values, logits: bool = False) -> np.ndarray:
    """A batch of 2-D maps from H x W, N x H x W or N x 1 x H x W (numpy or torch)."""
    if hasattr(values, "detach"):
        if logits:
            values = values.detach().float().sigmoid()
        values = values.detach().cpu().numpy()
    elif logits:
        values = 1.0 / (1.0 + np.exp(-np.asarray(values, dtype=np.float64)))
    values = np.asarray(values)
    if values.ndim == 2:
        values = values[None]
    elif values.ndim == 4:
        if values.shape[1] != 1:
            raise ValueError(f"saliency maps have one channel, got shape {values.shape}")
        values = values[:, 0]
    if values.ndim != 3:
        raise ValueError(f"expected H x W, N x H x W or N x 1 x H x W maps, got shape {values.shape}")
    return values


class _Meter:
    """Per-image scores averaged over the images seen."""

    name = ""

    def __init__(self, normalize: bool = False, logits: bool = False):
        self.normalize = normalize
        self.logits = logits
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.totals: dict[str, np.ndarray | float] = {}

    def update(self, pred, gt) -> "_Meter":
        preds, gts = _batch(pred, self.logits), _batch(gt)
        if len(preds) != len(gts):
            raise ValueError(f"{len(preds)} saliency maps but {len(gts)} ground truths")
        for p, g in zip(preds, gts):
            p, g = _pair(p, g, self.normalize)
            for key, value in self.score(p, g).items():
                self.totals[key] = self.totals.get(key, 0.0) + value
            self.count += 1
        return self

    def merge(self, other: "_Meter") -> "_Meter":
        for key, value in other.totals.items():
            self.totals[key] = self.totals.get(key, 0.0) + value
        self.count += other.count
        return self

    def mean(self, key: str):
        if not self.count:
            return math.nan
        return self.totals[key] / self.count

    def score(self, pred: np.ndarray, gt: np.ndarray) -> dict:
        raise NotImplementedError

    def summary(self) -> dict[str, float]:
        raise NotImplementedError

    def compute(self) -> float:
        return next(iter(self.summary().values()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(images={self.count}, {self.summary()})"


class MAE(_Meter):
    """Mean absolute error, averaged over images."""

    name = "mae"

    def score(self, pred, gt):
        return {"mae": float(np.abs(pred - gt).mean())}

    def summary(self):
        return {"mae": float(self.mean("mae"))}


class FMeasure(_Meter):
    """F-measure (beta^2 = 0.3): ``compute()`` is the mean F over the 256 thresholds of the
    image-averaged F curve; ``summary()`` adds max F and the adaptive F."""

    name = "f_measure"

    def __init__(self, beta2: float = BETA2, normalize: bool = False, logits: bool = False):
        self.beta2 = beta2
        super().__init__(normalize, logits)

    def score(self, pred, gt):
        tp, predicted = _counts(pred, gt, THRESHOLDS)
        curve = _f_from_counts(tp, predicted, float(gt.sum()), self.beta2)
        tp, predicted = _counts(pred, gt, [adaptive_threshold(pred)])
        return {"curve": curve, "adaptive": float(_f_from_counts(tp, predicted, float(gt.sum()), self.beta2)[0])}

    def curve(self) -> np.ndarray:
        """The mean F over images at each threshold k / 255."""
        return self.mean("curve") if self.count else np.full(256, math.nan)

    def summary(self):
        curve = self.curve()
        return {"mean_f": float(curve.mean()), "max_f": float(curve.max()), "adaptive_f": float(self.mean("adaptive"))}


class EMeasure(_Meter):
    """E-measure: ``compute()`` is the mean E over the 256 thresholds of the image-averaged
    E curve; ``summary()`` adds max E and the adaptive E."""

    name = "e_measure"

    def score(self, pred, gt):
        positives = float(gt.sum())
        tp, predicted = _counts(pred, gt, THRESHOLDS)
        curve = _e_from_counts(tp, predicted, positives, gt.size)
        tp, predicted = _counts(pred, gt, [adaptive_threshold(pred)])
        return {"curve": curve, "adaptive": float(_e_from_counts(tp, predicted, positives, gt.size)[0])}

    def curve(self) -> np.ndarray:
        return self.mean("curve") if self.count else np.full(256, math.nan)

    def summary(self):
        curve = self.curve()
        return {"mean_e": float(curve.mean()), "max_e": float(curve.max()), "adaptive_e": float(self.mean("adaptive"))}


class SMeasure(_Meter):
    """S-measure (alpha = 0.5), averaged over images."""

    name = "s_measure"

    def __init__(self, alpha: float = 0.5, normalize: bool = False, logits: bool = False):
        self.alpha = alpha
        super().__init__(normalize, logits)

    def score(self, pred, gt):
        y = float(gt.mean())
        if y == 0:
            s = 1.0 - float(pred.mean())
        elif y == 1:
            s = float(pred.mean())
        else:
            s = max(self.alpha * s_object(pred, gt) + (1.0 - self.alpha) * s_region(pred, gt), 0.0)
        return {"s": s}

    def summary(self):
        return {"s_measure": float(self.mean("s"))}


class SaliencyMetrics:
    """MAE, F-, S- and E-measure over the same images; ``compute()`` gives all as a dict:
    ``mae, mean_f, max_f, adaptive_f, s_measure, mean_e, max_e, adaptive_e``."""

    name = "saliency"

    def __init__(self, normalize: bool = False, logits: bool = False, beta2: float = BETA2, alpha: float = 0.5):
        self.meters = [MAE(normalize, logits), FMeasure(beta2, normalize, logits),
                       SMeasure(alpha, normalize, logits), EMeasure(normalize, logits)]

    def reset(self) -> None:
        for meter in self.meters:
            meter.reset()

    def update(self, pred, gt) -> "SaliencyMetrics":
        for meter in self.meters:
            meter.update(pred, gt)
        return self

    def merge(self, other: "SaliencyMetrics") -> "SaliencyMetrics":
        for mine, theirs in zip(self.meters, other.meters):
            mine.merge(theirs)
        return self

    def summary(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for meter in self.meters:
            out.update(meter.summary())
        return out

    compute = summary

    def __repr__(self) -> str:
        return f"SaliencyMetrics({self.summary()})"

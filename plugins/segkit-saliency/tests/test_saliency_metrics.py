"""Saliency metrics against values computed by hand on a 4 x 4 example.

The example (rows top to bottom)::

    gt   0 0 0 0        pred  0   0   .2  0
         0 1 1 0              0   .8  1   0
         0 1 1 0              0   .6  .8  0
         0 0 0 0              .2  0   0   0

4 salient pixels with predictions .8, 1, .6, .8; 12 background pixels, two at .2 and ten
at 0. Every value is a multiple of 1/255 (.2 = 51/255, .6 = 153/255, .8 = 204/255), so
the thresholds k/255 hit them exactly (``pred >= t``).
"""
from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
import torch
from segkit_saliency import metrics as M

GT = np.array([[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]], dtype=bool)
PRED = np.array([[0, 0, .2, 0], [0, .8, 1, 0], [0, .6, .8, 0], [.2, 0, 0, 0]])
EPS = 2.220446049250313e-16


def f(p, r, b2=0.3):
    return (1 + b2) * p * r / (b2 * p + r)


def test_mae_by_hand():
    # |errors|: row 0: .2, row 1: .2 (1 - .8), row 2: .4 + .2, row 3: .2  -> 1.2 / 16
    assert M.mae(PRED, GT) == pytest.approx(1.2 / 16)


def test_f_measure_curve_by_hand():
    # t = 0: all 16 predicted, 4 right: P = 1/4, R = 1
    # 0 < t <= .2 (k = 1..51): 6 predicted (4 salient + the two .2): P = 4/6, R = 1
    # .2 < t <= .6 (k = 52..153): exactly the 4 salient pixels: F = 1
    # .6 < t <= .8 (k = 154..204): .8, 1, .8: P = 1, R = 3/4
    # .8 < t <= 1 (k = 205..255): only the 1: P = 1, R = 1/4
    pieces = [(1, f(1 / 4, 1)), (51, f(4 / 6, 1)), (102, 1.0), (51, f(1, 3 / 4)), (51, f(1, 1 / 4))]
    expected = np.concatenate([np.full(n, v) for n, v in pieces])
    assert len(expected) == 256
    np.testing.assert_allclose(M.f_measure_curve(PRED, GT), expected, rtol=1e-12)
    mean_f = sum(n * v for n, v in pieces) / 256
    meter = M.FMeasure().update(PRED, GT)
    assert meter.compute() == pytest.approx(mean_f)
    assert meter.summary()["max_f"] == pytest.approx(1.0)
    # adaptive threshold: 2 * mean = 2 * 3.6 / 16 = .45 -> the 4 salient pixels: F = 1
    assert meter.summary()["adaptive_f"] == pytest.approx(1.0)
    assert M.f_measure(PRED, GT, threshold=0.7) == pytest.approx(f(1, 3 / 4))


def test_f_measure_is_zero_without_true_positives():
    assert M.f_measure(1 - GT.astype(float), GT, threshold=0.5) == 0.0
    assert M.f_measure(PRED, np.zeros((4, 4), bool), threshold=0.1) == 0.0


def test_s_measure_by_hand():
    u = 4 / 16
    # object term, foreground: pred on the salient pixels
    fg = [.8, 1.0, .6, .8]
    x_fg, s_fg = statistics.mean(fg), statistics.stdev(fg)          # sample std, as MATLAB's std
    o_fg = 2 * x_fg / (x_fg ** 2 + 1 + s_fg + EPS)
    # background: 1 - pred on the 12 background pixels: two .8, ten 1
    bg = [.8, .8] + [1.0] * 10
    x_bg, s_bg = statistics.mean(bg), statistics.stdev(bg)
    o_bg = 2 * x_bg / (x_bg ** 2 + 1 + s_bg + EPS)
    s_object = u * o_fg + (1 - u) * o_bg

    # region term: centroid of the salient pixels, 1-based: X = round((2+3+2+3)/4) = round(2.5) = 3
    # (MATLAB rounds halves away from zero), Y = 3. Blocks: LT rows 1-3 x cols 1-3 (weight 9/16),
    # RT rows 1-3 x col 4 (3/16), LB row 4 x cols 1-3 (3/16), RB row 4 x col 4 (1/16).
    def block(p, g):
        n = len(p)
        x, y = sum(p) / n, sum(g) / n
        sx = sum((a - x) ** 2 for a in p) / (n - 1 + EPS)
        sy = sum((b - y) ** 2 for b in g) / (n - 1 + EPS)
        sxy = sum((a - x) * (b - y) for a, b in zip(p, g)) / (n - 1 + EPS)
        alpha, beta = 4 * x * y * sxy, (x * x + y * y) * (sx + sy)
        return alpha / (beta + EPS) if alpha != 0 else (1.0 if beta == 0 else 0.0)

    lt = block([0, 0, .2, 0, .8, 1, 0, .6, .8], [0, 0, 0, 0, 1, 1, 0, 1, 1])
    rt = block([0, 0, 0], [0, 0, 0])        # all zero: alpha = beta = 0 -> 1
    lb = block([.2, 0, 0], [0, 0, 0])       # gt mean 0: alpha = 0, beta > 0 -> 0
    rb = block([0], [0])                    # -> 1
    assert (rt, lb, rb) == (1.0, 0.0, 1.0)
    s_region = 9 / 16 * lt + 3 / 16 * rt + 3 / 16 * lb + 1 / 16 * rb
    expected = 0.5 * s_object + 0.5 * s_region
    assert M.s_object(PRED, GT) == pytest.approx(s_object, rel=1e-12)
    assert M.s_region(PRED, GT) == pytest.approx(s_region, rel=1e-12)
    assert M.s_measure(PRED, GT) == pytest.approx(expected, rel=1e-12)
    assert 0.8 < expected < 0.9  # ~0.8607: a sanity bound on the hand numbers themselves
    assert M.SMeasure().update(PRED, GT).compute() == pytest.approx(expected, rel=1e-12)


def test_s_measure_special_cases():
    zeros, ones = np.zeros((4, 4), bool), np.ones((4, 4), bool)
    assert M.s_measure(PRED, zeros) == pytest.approx(1 - 3.6 / 16)   # all background: 1 - mean
    assert M.s_measure(PRED, ones) == pytest.approx(3.6 / 16)        # all salient: mean
    assert M.s_measure(GT.astype(float), GT) == pytest.approx(1.0, abs=1e-9)


def test_e_measure_by_hand():
    # threshold .7: FM = {.8, 1, .8}: TP 3, FP 0, FN 1, TN 12; mean FM = 3/16, mean GT = 4/16
    def enhanced(fm, g):
        a_fm, a_g = fm - 3 / 16, g - 4 / 16
        phi = 2 * a_g * a_fm / (a_g ** 2 + a_fm ** 2 + EPS)
        return (phi + 1) ** 2 / 4

    # (1,1): a = 13/16, 12/16 -> phi = 312/313; (0,1): -3/16, 12/16 -> -72/153; (0,0): -3/16, -4/16 -> 24/25
    assert enhanced(1, 1) == pytest.approx((1 + 312 / 313) ** 2 / 4)
    assert enhanced(0, 1) == pytest.approx((1 - 72 / 153) ** 2 / 4)
    assert enhanced(0, 0) == pytest.approx((1 + 24 / 25) ** 2 / 4)
    expected = (3 * enhanced(1, 1) + 1 * enhanced(0, 1) + 12 * enhanced(0, 0)) / (16 - 1 + EPS)
    assert M.e_measure(PRED, GT, threshold=0.7) == pytest.approx(expected, rel=1e-12)
    # the same by brute force over the 16 pixels, from the binary map
    fm = (PRED >= 0.7).astype(float)
    brute = sum(enhanced(a, b) for a, b in zip(fm.ravel(), GT.ravel().astype(float))) / (15 + EPS)
    assert brute == pytest.approx(expected, rel=1e-12)


def test_e_measure_curve_and_special_cases():
    curve = M.e_measure_curve(PRED, GT)
    for k in (0, 30, 51, 52, 100, 153, 154, 204, 205, 255):
        assert curve[k] == pytest.approx(M.e_measure(PRED, GT, threshold=k / 255), rel=1e-12)
    # on the F-curve's plateau .2 < t <= .6 the binary map equals the gt: every pixel
    # aligns (phi = 1), 16 / 15 as the reference code divides by H W - 1
    assert curve[100] == pytest.approx(16 / 15)
    meter = M.EMeasure().update(PRED, GT)
    assert meter.compute() == pytest.approx(curve.mean())
    assert meter.summary()["max_e"] == pytest.approx(16 / 15)
    zeros = np.zeros((4, 4), bool)
    # all-background gt: sum(1 - FM) / (N - 1); at t = .1 FM has 6 pixels
    assert M.e_measure(PRED, zeros, threshold=0.1) == pytest.approx(10 / 15)
    assert M.e_measure(PRED, ~zeros, threshold=0.1) == pytest.approx(6 / 15)


def test_meters_average_images_and_accept_torch_batches():
    other_pred = np.clip(PRED[::-1] + 0.1, 0, 1)
    other_gt = GT[:, ::-1]
    batch_pred = torch.tensor(np.stack([PRED, other_pred]))[:, None]        # N x 1 x H x W
    batch_gt = torch.tensor(np.stack([GT, other_gt]).astype(np.int64))       # N x H x W
    meters = M.SaliencyMetrics().update(batch_pred, batch_gt)
    out = meters.compute()
    assert out["mae"] == pytest.approx((M.mae(PRED, GT) + M.mae(other_pred, other_gt)) / 2)
    assert out["s_measure"] == pytest.approx((M.s_measure(PRED, GT) + M.s_measure(other_pred, other_gt)) / 2)
    curve = (M.f_measure_curve(PRED, GT) + M.f_measure_curve(other_pred, other_gt)) / 2
    assert out["mean_f"] == pytest.approx(curve.mean())
    assert out["max_f"] == pytest.approx(curve.max())
    # merge = one meter over both images
    a, b = M.MAE().update(PRED, GT), M.MAE().update(other_pred, other_gt)
    assert a.merge(b).compute() == pytest.approx(out["mae"])
    # logits: the sigmoid is applied first; uint8 maps are / 255
    logits = torch.logit(torch.tensor(PRED).clamp(1e-6, 1 - 1e-6))
    assert M.MAE(logits=True).update(logits, GT).compute() == pytest.approx(M.mae(PRED, GT), abs=1e-5)
    assert M.mae((PRED * 255).round().astype(np.uint8), GT * 255) == pytest.approx(M.mae(PRED, GT))
    assert math.isnan(M.MAE().compute())


def test_bad_inputs_are_errors():
    with pytest.raises(ValueError, match="sigmoid"):
        M.mae(PRED * 3 - 1, GT)
    with pytest.raises(ValueError, match="ground truth"):
        M.mae(PRED, GT[:3])
    assert M.mae(PRED * 3 - 1, GT, normalize=True) == pytest.approx(M.mae(PRED, GT))


def test_metrics_are_registered(registry):
    for name in ("mae", "f_measure", "s_measure", "e_measure", "saliency"):
        meter = registry.get("metric", name)()
        meter.update(PRED, GT)
    assert registry.get("metric", "mae")().update(PRED, GT).compute() == pytest.approx(1.2 / 16)
    assert registry.tables["metric"]["mae"].dist == "segkit-saliency"

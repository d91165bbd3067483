"""ConfusionMatrix metrics: exact on a hand-worked case, accumulation, ignore, all_reduce."""
from __future__ import annotations

import math

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from segkit.api import default_registry
from segkit.train.metrics import ConfusionMatrix

# 3 classes, 4x4, two ignored pixels
TARGET = torch.tensor([[0, 0, 1, 1],
                       [0, 0, 1, 1],
                       [2, 2, 2, 2],
                       [2, 2, 255, 255]])
PRED = torch.tensor([[0, 1, 1, 1],
                     [0, 0, 1, 2],
                     [2, 2, 1, 2],
                     [0, 2, 0, 1]])
# by hand: rows = target, columns = prediction
#   t0: p0 p1 p0 p0           -> [3, 1, 0]
#   t1: p1 p1 p1 p2           -> [0, 3, 1]
#   t2: p2 p2 p1 p2 p0 p2     -> [1, 1, 4]
MATRIX = [[3, 1, 0], [0, 3, 1], [1, 1, 4]]
# target pixels 4, 4, 6 (14); predicted 4, 5, 5; TP 3, 3, 4
IOU = [3 / 5, 3 / 6, 4 / 7]            # TP / (target + pred - TP)
ACC = [3 / 4, 3 / 4, 4 / 6]
PIXEL_ACC = 10 / 14
FW_IOU = (4 * 3 / 5 + 4 * 3 / 6 + 6 * 4 / 7) / 14


def hand_case() -> ConfusionMatrix:
    return ConfusionMatrix(3).update(PRED[None], TARGET[None])


def test_hand_worked_example():
    cm = hand_case()
    assert cm.mat.tolist() == MATRIX
    assert cm.iou().tolist() == pytest.approx(IOU)
    assert cm.miou() == pytest.approx(sum(IOU) / 3)
    assert cm.class_accuracy().tolist() == pytest.approx(ACC)
    assert cm.mean_accuracy() == pytest.approx(sum(ACC) / 3)
    assert cm.pixel_accuracy() == pytest.approx(PIXEL_ACC)
    assert cm.fw_iou() == pytest.approx(FW_IOU)
    assert cm.summary() == pytest.approx({"miou": sum(IOU) / 3, "pixel_accuracy": PIXEL_ACC,
                                          "mean_accuracy": sum(ACC) / 3, "fw_iou": FW_IOU})


def test_logits_are_argmaxed():
    logits = torch.nn.functional.one_hot(PRED, 3).permute(2, 0, 1)[None].float() * 3 - 1
    assert ConfusionMatrix(3).update(logits, TARGET[None]).mat.tolist() == MATRIX
    with pytest.raises(ValueError, match="channels"):
        ConfusionMatrix(4).update(logits, TARGET[None])
    with pytest.raises(ValueError, match="does not match"):
        ConfusionMatrix(3).update(PRED[None, :2], TARGET[None])


def test_ignored_pixels_do_not_count():
    pred = PRED.clone()
    pred[3, 2:] = torch.tensor([1, 2])  # change predictions only where the target is ignored
    assert ConfusionMatrix(3).update(pred[None], TARGET[None]).mat.tolist() == MATRIX
    cm = ConfusionMatrix(3, ignore_index=2).update(PRED[None], TARGET[None])
    assert cm.mat.sum() == 8  # class 2 is now the ignore value; 255 is out of range and skipped too


def test_absent_classes_are_nan_and_left_out_of_means():
    cm = ConfusionMatrix(5).update(PRED[None], TARGET[None])
    iou = cm.iou()
    assert math.isnan(iou[3]) and math.isnan(iou[4])
    assert cm.miou() == pytest.approx(sum(IOU) / 3)
    assert cm.fw_iou() == pytest.approx(FW_IOU)
    # predicted but never in the target: IoU 0, accuracy NaN
    cm = ConfusionMatrix(2).update(torch.tensor([[1, 1]]), torch.tensor([[0, 0]]))
    assert cm.iou().tolist()[1] == 0 and math.isnan(cm.class_accuracy()[1])
    assert math.isnan(ConfusionMatrix(2).miou())


def test_accumulation_over_batches_equals_one_batch():
    gen = torch.Generator().manual_seed(0)
    target = torch.randint(0, 4, (6, 9, 7), generator=gen)
    target[target == 3] = 255
    pred = torch.randint(0, 3, (6, 9, 7), generator=gen)
    whole = ConfusionMatrix(3).update(pred, target)
    parts = ConfusionMatrix(3)
    for k in range(0, 6, 2):
        parts.update(pred[k:k + 2], target[k:k + 2])
    assert torch.equal(whole.mat, parts.mat) and whole.miou() == parts.miou()
    merged = ConfusionMatrix(3).update(pred[:3], target[:3]).merge(ConfusionMatrix(3).update(pred[3:], target[3:]))
    assert torch.equal(merged.mat, whole.mat)
    whole.reset()
    assert whole.mat.sum() == 0


def test_table_rows():
    rows = hand_case().table(["a", "b", "c"])
    assert [r["class"] for r in rows] == ["a", "b", "c"]
    assert [r["pixels"] for r in rows] == [4, 4, 6]
    assert rows[2]["iou"] == pytest.approx(4 / 7) and rows[2]["accuracy"] == pytest.approx(4 / 6)
    with pytest.raises(ValueError):
        hand_case().table(["a"])


def test_registered_metrics():
    registry = default_registry()
    cm = registry.get("metric", "confusion")(3).update(PRED[None], TARGET[None])
    assert isinstance(cm, ConfusionMatrix)
    assert registry.get("metric", "miou")(cm) == pytest.approx(sum(IOU) / 3)
    assert registry.get("metric", "fw_iou")(cm) == pytest.approx(FW_IOU)
    assert registry.get("metric", "pixel_accuracy")(cm) == pytest.approx(PIXEL_ACC)
    assert registry.get("metric", "mean_accuracy")(cm) == pytest.approx(sum(ACC) / 3)


def test_all_reduce_is_a_no_op_without_distributed():
    cm = hand_case()
    assert cm.all_reduce().mat.tolist() == MATRIX


def _data():
    gen = torch.Generator().manual_seed(1)
    return torch.randint(0, 3, (4, 5, 6), generator=gen), torch.randint(0, 3, (4, 5, 6), generator=gen)


def _worker(rank: int, init: str, out: str) -> None:
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=2)
    try:
        pred, target = _data()
        cm = ConfusionMatrix(3)
        for k in range(rank, 4, 2):  # each process sees every other image
            cm.update(pred[k:k + 1], target[k:k + 1])
        cm.all_reduce()
        torch.save(cm.mat, f"{out}.{rank}")
    finally:
        dist.destroy_process_group()


def test_all_reduce_across_two_processes_equals_one_process(tmp_path):
    init = f"file://{tmp_path / 'rendezvous'}"
    out = str(tmp_path / "mat")
    mp.spawn(_worker, args=(init, out), nprocs=2, join=True)
    pred, target = _data()
    expected = ConfusionMatrix(3).update(pred, target).mat
    for rank in range(2):
        assert torch.equal(torch.load(f"{out}.{rank}"), expected)

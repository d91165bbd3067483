"""Small pieces: the LR schedule, option parsing, fingerprints, RNG states, run files."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

import segkit
from segkit.errors import InputError
from segkit.train import state
from segkit.train.logs import read_metrics
from segkit.train.options import parse_data, parse_floats, parse_hw, parse_weights
from segkit.train.schedule import PolyLR
from tests.train.conftest import TINY_SPEC


def lrs(scheduler, optimizer, n):
    out = []
    for _ in range(n):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return out


def test_poly_schedule_with_linear_warmup():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = PolyLR(opt, max_iters=100, power=0.9, warmup_iters=10, warmup_ratio=0.1)
    values = lrs(sched, opt, 100)
    assert values[0] == pytest.approx(0.1)
    assert all(a < b for a, b in zip(values[:9], values[1:10]))  # warming up
    assert values[10] == pytest.approx((1 - 10 / 100) ** 0.9)
    assert values[50] == pytest.approx(0.5 ** 0.9)
    assert all(a > b for a, b in zip(values[10:], values[11:]))  # decaying
    # state round trip: a fresh scheduler continues the same curve
    opt2 = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched2 = PolyLR(opt2, max_iters=100, power=0.9, warmup_iters=10)
    opt3 = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched3 = PolyLR(opt3, max_iters=100, power=0.9, warmup_iters=10)
    lrs(sched2, opt2, 40)
    sched3.load_state_dict(sched2.state_dict())
    opt3.param_groups[0]["lr"] = opt2.param_groups[0]["lr"]
    assert lrs(sched3, opt3, 60) == lrs(sched2, opt2, 60)


def test_option_parsing():
    assert parse_hw("512", "--crop") == (512, 512)
    assert parse_hw("256x512", "--crop") == (256, 512)
    assert parse_floats("0.75,1,1.25", "--scales") == [0.75, 1.0, 1.25]
    data = parse_data("voc:/data/VOC", ("year=2012",))
    assert (data.name, data.path, data.options) == ("voc", "/data/VOC", {"year": "2012"})
    assert parse_data("folder:C:/data").path == "C:/data"
    assert parse_data(None).name == "synthetic"
    for bad in ("axb", "0x4", "1x2x3"):
        with pytest.raises(InputError):
            parse_hw(bad, "--crop")
    with pytest.raises(InputError):
        parse_floats("1,-1", "--scales")


@pytest.mark.parametrize("text", ["1,,2", "1,2,", ",1", " ", "1,x", "1,nan", "1,inf"])
def test_number_lists_reject_empty_parts_and_non_numbers_alike(text):
    """--scales and --class-weights share one parser: an empty part is an error, never
    dropped (``1,,2`` would otherwise shift every later class weight by one)."""
    for parse, option in ((parse_floats, "--scales"), (parse_weights, "--class-weights")):
        with pytest.raises(InputError, match=f"{option} takes .*, separated by commas, got {text!r}"):
            parse(text, option)


def test_number_lists():
    assert parse_floats(None, "--scales") == [1.0] and parse_weights(None, "--class-weights") is None
    assert parse_floats(" 0.5, 1 ", "--scales") == [0.5, 1.0]
    assert parse_weights("0,2.5,1", "--class-weights") == [0.0, 2.5, 1.0]
    for bad in ("0,0", "-1,2"):
        with pytest.raises(InputError, match="one non-negative number per class"):
            parse_weights(bad, "--class-weights")
    with pytest.raises(InputError, match="positive numbers"):
        parse_floats("0,1", "--scales")


def test_fingerprint_follows_structure_and_params():
    a = segkit.check(TINY_SPEC).graph
    assert state.fingerprint(a) == state.fingerprint(segkit.check(TINY_SPEC).graph)
    assert state.fingerprint(a) != state.fingerprint(segkit.check(TINY_SPEC, width=8).graph)
    assert state.fingerprint(a) != state.fingerprint(segkit.check("specs/examples/segnet_tiny.yaml").graph)
    # the input size is not part of it
    assert state.fingerprint(a) == state.fingerprint(segkit.check(TINY_SPEC, "3x64x64").graph)


def test_rng_states_round_trip():
    saved = state.rng_state()
    first = (torch.rand(3), np.random.rand(3), random.random())
    state.set_rng_state(saved)
    again = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(first[0], again[0]) and np.array_equal(first[1], again[1]) and first[2] == again[2]


def test_run_files(trained):
    out = trained.parent
    assert (out / "best.pt").exists() and (out / "curves.png").exists()
    rows = read_metrics(out / "metrics.csv")
    assert [r["epoch"] for r in rows] == [1.0] and 0 <= rows[0]["val_miou"] <= 1
    from PIL import Image

    with Image.open(out / "curves.png") as image:
        assert image.format == "PNG" and image.size[0] > 100
    checkpoint = torch.load(trained, map_location="cpu", weights_only=True)  # plain data only
    assert checkpoint["spec"] == "unet-small" and checkpoint["params"]["width"] == 4
    assert checkpoint["dataset"]["name"] == "synthetic" and len(checkpoint["dataset"]["palette"]) == 5
    assert set(checkpoint["rng"][0]) == {"torch", "numpy", "python", "cuda"}
    best = torch.load(out / "best.pt", map_location="cpu", weights_only=True)
    assert "optimizer" not in best and best["state_dict"].keys() == checkpoint["state_dict"].keys()


def test_tensorboard_is_used_when_importable(tmp_path, monkeypatch):
    import sys
    import types

    from segkit.train.logs import RunLog

    calls = []

    class FakeWriter:
        def __init__(self, logdir, purge_step=None):
            calls.append(("init", logdir, purge_step))

        def add_scalar(self, tag, value, step):
            calls.append((tag, value, step))

        def flush(self):
            pass

        def close(self):
            calls.append(("close",))

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", types.SimpleNamespace(SummaryWriter=FakeWriter))
    log = RunLog(tmp_path, purge_step=3)
    log.epoch([{"epoch": 1, "iteration": 10, "lr": 0.1, "train_loss": 0.5, "val_miou": 0.25}])
    log.close()
    assert calls[0] == ("init", str(tmp_path / "tensorboard"), 3)
    assert ("epoch/train_loss", 0.5, 1) in calls and ("epoch/val_miou", 0.25, 1) in calls
    assert (tmp_path / "metrics.csv").read_text().splitlines()[1].startswith("1,10,0.1,0.5,0.25")


def test_tensorboard_missing_is_skipped_silently(tmp_path, monkeypatch):
    import sys

    from segkit.train.logs import RunLog

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import fails
    log = RunLog(tmp_path)
    log.epoch([{"epoch": 1, "iteration": 1, "train_loss": 1.0}])
    assert log.writer is None and (tmp_path / "metrics.csv").exists() and (tmp_path / "curves.png").exists()

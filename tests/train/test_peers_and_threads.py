"""A dead or stalled DDP peer ends the run with a message (a real two-rank gloo group in
one process, with a 1 s timeout), and thread defaults that do not oversubscribe the cores."""
from __future__ import annotations

import datetime
import threading

import pytest
import torch
import torch.distributed as dist
from click.testing import CliRunner

from segkit.cli import main
from segkit.train import threads
from segkit.train.distributed import DistEnv, PeerError, check_timeout, peer_error, peers_checked

RANK0 = DistEnv(rank=0, world=2, initialized=True)


def two_ranks(timeout_s: float) -> dict:
    """Two gloo process groups of one world, in this process (ranks in threads)."""
    store, groups = dist.HashStore(), {}

    def join(rank):
        groups[rank] = dist.ProcessGroupGloo(store, rank, 2, datetime.timedelta(seconds=timeout_s))

    joiners = [threading.Thread(target=join, args=(rank,)) for rank in range(2)]
    for t in joiners:
        t.start()
    for t in joiners:
        t.join()
    return groups


def test_a_stalled_peer_times_out_with_a_message():
    groups = two_ranks(1.0)
    with pytest.raises(PeerError) as info:
        with peers_checked(RANK0, 1.0):
            groups[0].allreduce([torch.ones(2)]).wait()  # rank 1 never joins the all-reduce
    text = info.value.format()
    assert text.startswith("--ddp-timeout: error: rank 0 of 2: a peer process stopped responding (no answer "
                           "within --ddp-timeout 1 s)")
    assert "raise --ddp-timeout" in text


def test_a_dead_peer_is_named_as_such():
    groups = two_ranks(5.0)
    peer = groups.pop(1)
    if hasattr(peer, "shutdown"):
        peer.shutdown()
    del peer  # its connections close, as a killed process's would
    with pytest.raises(PeerError) as info:
        with peers_checked(RANK0, 5.0):
            groups[0].allreduce([torch.ones(2)]).wait()
    assert info.value.format().startswith("torchrun: error: rank 0 of 2: a peer process died")


def test_other_errors_and_single_process_runs_pass_unchanged():
    assert peer_error(RuntimeError("Timed out"), DistEnv(), 1.0) is None
    assert peer_error(RuntimeError("CUDA out of memory"), RANK0, 1.0) is None
    with pytest.raises(RuntimeError, match="out of memory"):
        with peers_checked(RANK0, 1.0):
            raise RuntimeError("CUDA out of memory")


def test_the_timeout_must_be_positive_and_finite():
    assert check_timeout(600.0) == 600.0
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(Exception, match="--ddp-timeout takes a positive number"):
            check_timeout(bad)


@pytest.mark.parametrize("workers, processes, cores, expected",
                         [(0, 1, 2, 2), (1, 1, 2, 2), (2, 1, 2, 1), (4, 1, 16, 4), (3, 2, 16, 2), (8, 4, 2, 1)])
def test_default_threads_do_not_oversubscribe(workers, processes, cores, expected):
    got = threads.default_threads(workers, processes, cores)
    assert got == expected and (got * max(1, workers) * processes <= cores or got == 1)


def test_set_threads(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        monkeypatch.setattr(threads, "usable_cores", lambda: 4)
        assert threads.set_threads(None, workers=2) == 2 and torch.get_num_threads() == 2
        assert threads.set_threads(3, workers=2) == 3 and torch.get_num_threads() == 3
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        assert threads.set_threads(None, workers=2) == torch.get_num_threads() == 3  # the user's choice stays
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("command", ["train", "eval", "predict"])
def test_help_names_threads(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert "--threads" in result.output and "oversubscribe" in result.output
    if command != "predict":
        assert "--ddp-timeout" in result.output and "--check-data" in result.output

"""Training checkpoints: everything a run needs to continue bit-exactly.

A checkpoint is a dict saved atomically (:func:`segkit.weights.checkpoint.atomic_torch_save`:
temp file, fsync, rename), so a run killed while saving leaves the previous checkpoint
intact. Besides ``state_dict``, ``spec`` and ``params`` (the keys of the plain weights
files ``segkit build --save`` writes, so either kind loads for eval/predict) it holds
the optimizer, scheduler and grad-scaler states, the torch / numpy / Python / CUDA RNG
states, the epoch and iteration, the dataset's metadata, the metrics history and a
fingerprint of the resolved spec graph. Everything is plain data and tensors, so it
loads with ``torch.load(weights_only=True)``.
"""
from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from segkit.errors import InputError, SourceLoc
from segkit.weights.checkpoint import atomic_torch_save

# torch is imported inside functions (as is numpy), so that importing this module, and so
# `segkit check`, stays torch-free.


FORMAT = "segkit-train-1"


def fingerprint(graph) -> str:
    """A hash of the resolved graph (node ids, blocks, block params, wiring, outputs):
    two builds with the same fingerprint have the same modules and forward."""
    parts = [graph.name, sorted((k, repr(v)) for k, v in graph.params.items())]
    for node in graph.nodes.values():
        parts.append(_node_parts(node))
    parts.append(sorted((k, str(v)) for k, v in graph.outputs.items()))
    return _hash(parts)


def node_fingerprints(graph) -> dict[str, str]:
    """Node id -> a hash of its block, params and inputs: stored in checkpoints so that
    a mismatch of :func:`fingerprint` can name the nodes that differ."""
    return {node.id: _hash(_node_parts(node)) for node in graph.nodes.values()}


def _node_parts(node) -> list:
    try:
        params = node.params.model_dump_json()
    except Exception:
        params = repr(node.params)
    return [node.id, node.op, params, [str(v) for v in node.inputs]]


def _hash(parts) -> str:
    text = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- RNG states -------------------------------------------------------------------------


def rng_state() -> dict:
    import numpy as np
    import torch

    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached": float(cached)},
        "python": random.getstate(),
        "cuda": None,
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    import numpy as np
    import torch

    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if state.get("cuda") is not None and torch.cuda.is_available():
        cuda_states = state["cuda"]
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda_states)


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


# --- save / load ------------------------------------------------------------------------


def save(checkpoint: dict, path) -> None:
    """Write ``checkpoint`` to ``path`` atomically (temp file + fsync + rename)."""
    atomic_torch_save(checkpoint, path)


def load(path) -> dict:
    """Read a checkpoint (training or plain weights); InputError naming the file when it
    is missing, truncated, or not a segkit checkpoint."""
    import torch

    path = Path(path)
    loc = SourceLoc(str(path))
    if not path.exists():
        raise InputError("checkpoint file does not exist", loc)
    if not path.is_file():
        raise InputError("checkpoint path is not a file", loc)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # zip/pickle errors of truncated or foreign files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read checkpoint: {first}", loc,
                         "the file is truncated, corrupt or not a torch checkpoint") from None
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise InputError("not a segkit checkpoint (no state_dict)", loc,
                         "use a file written by `segkit train` or `segkit build --save`")
    return checkpoint


RESUME_HINT = "resume with the same spec file and --set values, or start a new run"


def check_spec(checkpoint: dict, path, graph, exact: bool, hint: str = RESUME_HINT) -> None:
    """Reject a checkpoint written for another spec (``graph``: the resolved Graph, or
    the loaded Spec). ``exact`` (with a Graph: resume, eval, predict) also demands the
    same fingerprint, i.e. the same params and structure; the error names the params
    and nodes that differ, and ``hint`` says what to do."""
    loc = SourceLoc(str(path))
    name = checkpoint.get("spec")
    if name is not None and name != graph.name:
        raise InputError(f"checkpoint was written for spec {name!r}, not {graph.name!r}", loc,
                         f"pass the spec it was trained with (segkit ... {checkpoint.get('spec_file') or name})")
    if exact and checkpoint.get("fingerprint") not in (None, fingerprint(graph)):
        saved = checkpoint.get("params") or {}
        diff = {k: (saved.get(k), v) for k, v in graph.params.items() if saved.get(k) != v}
        detail = ", ".join(f"{k}: {a!r} in the checkpoint, {b!r} now" for k, (a, b) in diff.items())
        nodes = nodes_that_differ(checkpoint.get("node_fingerprints"), node_fingerprints(graph))
        detail = "; ".join(part for part in (detail, nodes) if part)
        raise InputError(f"checkpoint was written for a different build of spec {graph.name!r}"
                         + (f" ({detail})" if detail else " (the spec file changed)"), loc, hint)


def nodes_that_differ(saved: dict | None, now: dict[str, str], shown: int = 5) -> str:
    """``nodes changed: a, b; only in the checkpoint: c; new: d`` (at most ``shown``
    names each), or "" when the checkpoint holds no node fingerprints (older files)."""
    if not saved:
        return ""
    groups = (("nodes changed", [k for k in now if k in saved and saved[k] != now[k]]),
              ("only in the checkpoint", [k for k in saved if k not in now]),
              ("new", [k for k in now if k not in saved]))
    return "; ".join(f"{what}: {', '.join(names[:shown])}" + (f", ... ({len(names)})" if len(names) > shown else "")
                     for what, names in groups if names)

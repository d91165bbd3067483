"""Atomic writes of module weights: a temp file in the same folder, then rename, so an
interrupted save never leaves a truncated file where a good one was."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.



def atomic_torch_save(obj, path) -> None:
    """``torch.save`` to ``path`` atomically (temp file + fsync + rename)."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_module(model, path, spec=None, params=None) -> None:
    """Save a compiled module's state_dict with the spec name and params it came from."""
    atomic_torch_save({
        "format": "segkit-weights-1",
        "spec": spec.name if spec is not None else None,
        "params": params or {},
        "state_dict": model.state_dict(),
    }, path)

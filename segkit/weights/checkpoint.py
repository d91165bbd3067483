"""Atomic writes of module weights: a temp file in the same folder, then rename, so an
interrupted save never leaves a truncated file where a good one was, and Ctrl-C waits
for the save to finish."""
from __future__ import annotations

import os
import signal
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.



def atomic_torch_save(obj, path) -> None:
    """``torch.save`` to ``path`` atomically (temp file + fsync + rename). Ctrl-C during
    the save takes effect once it is complete (the file is then whole); a failed write
    (a full disk, no permission) is an OSError naming ``path``, never torch's error of
    its zip writer."""
    import torch

    path = Path(path)
    with _sigint_deferred():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        try:
            with os.fdopen(fd, "wb") as handle:
                recorder = _WriteRecorder(handle)
                try:
                    torch.save(obj, recorder)
                except RuntimeError:
                    if recorder.error is None:
                        raise
                    raise recorder.error from None
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


class _WriteRecorder:
    """A binary file that keeps the OSError of a failed write, which torch's zip writer
    turns into a RuntimeError that no longer says why."""

    def __init__(self, handle):
        self.handle = handle
        self.error: OSError | None = None

    def write(self, data) -> int:
        try:
            return self.handle.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def __getattr__(self, name):  # flush, fileno, ...: the file's own
        return getattr(self.handle, name)


@contextmanager
def _sigint_deferred():
    """Hold Ctrl-C (SIGINT) until the block ends, then raise KeyboardInterrupt, so that a
    save is never cut in the middle (torch would report it as an internal error). Only
    the main thread can install a signal handler; elsewhere the block runs as is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def save_module(model, path, spec=None, params=None) -> None:
    """Save a compiled module's state_dict with the spec name and params it came from."""
    atomic_torch_save({
        "format": "segkit-weights-1",
        "spec": spec.name if spec is not None else None,
        "params": params or {},
        "state_dict": model.state_dict(),
    }, path)

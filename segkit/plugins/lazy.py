"""Torch-free handles to registered things that live in torch-importing modules.

Registration must stay cheap (``segkit check`` never imports torch), yet datasets are
``torch.utils.data.Dataset`` subclasses and losses are ``nn.Module`` s. A :class:`Lazy`
names its target as ``"module:attr"`` and imports it on first use; attribute access and
calls go to the target, so ``registry.get("dataset", "voc").open(path, "train")`` and
``registry.get("loss", "ce")(ignore_index=255)`` work as if the class itself had been
registered. ``.load()`` returns the real object.
"""
from __future__ import annotations

import importlib
from typing import Any


class Lazy:
    """A named, lazily imported class or factory.

    ``kwargs`` are bound defaults applied when the handle is called (``Lazy("m:SegLoss",
    name="dice", kwargs={"loss": "dice"})()`` is ``SegLoss(loss="dice")``).
    """

    def __init__(self, target: str, name: str, doc: str = "", kwargs: dict | None = None):
        self.target = target
        self.name = name
        self.doc = doc
        self.kwargs = dict(kwargs or {})
        self._obj: Any = None

    def load(self) -> Any:
        """The real object (imported on first call)."""
        if self._obj is None:
            module, _, attr = self.target.partition(":")
            self._obj = getattr(importlib.import_module(module), attr)
        return self._obj

    def __call__(self, *args, **kwargs):
        return self.load()(*args, **{**self.kwargs, **kwargs})

    def __getattr__(self, attr: str):
        if attr.startswith("__") or attr in ("target", "name", "doc", "kwargs", "_obj"):
            raise AttributeError(attr)
        return getattr(self.load(), attr)

    def __repr__(self) -> str:
        bound = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"Lazy({self.target!r}, name={self.name!r}{bound})"

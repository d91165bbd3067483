"""Datasets for training, evaluation and prediction: the protocol and file helpers
(:mod:`.base`), the readers (:mod:`.folder`, :mod:`.voc`, :mod:`.cityscapes`,
:mod:`.camvid`, :mod:`.ade20k`, :mod:`.synthetic`), transforms (:mod:`.transforms`) and
the built-in plugin that registers them by name (:mod:`.plugin`)."""

import importlib as _importlib
import warnings as _warnings

_NAMES = {"SegDataset": "segkit.data.base", "FileSegDataset": "segkit.data.base"}
_MOVED = {"Lazy": "segkit.plugins.lazy"}


def __getattr__(name: str):
    """The dataset base classes, imported (with torch) on first use; ``Lazy`` (segkit 0.1's
    ``segkit.data.Lazy``) has moved to :mod:`segkit.plugins.lazy`."""
    if name in _MOVED:
        _warnings.warn(f"segkit.data.{name} is deprecated: import it from {_MOVED[name]} (or segkit.plugin)",
                       DeprecationWarning, stacklevel=2)
        return getattr(_importlib.import_module(_MOVED[name]), name)
    if name in _NAMES:
        return getattr(_importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'segkit.data' has no attribute {name!r}")

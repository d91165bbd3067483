"""The built-in plugin that registers segkit's weight formats (``segkit``,
``torchvision``, ``timm``; see :mod:`segkit.weights.formats`)."""
from __future__ import annotations

from segkit.plugins.hookspecs import hookimpl
from segkit.weights.formats import SegkitFormat, TimmFormat
from segkit.weights.torchvision import TorchvisionFormat


@hookimpl
def segkit_register_weight_formats(register):
    for fmt in (SegkitFormat(), TorchvisionFormat(), TimmFormat()):
        register(fmt)

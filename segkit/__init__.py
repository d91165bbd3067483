"""segkit: segmentation networks as YAML graph specs, checked statically and compiled
into PyTorch modules. Importing segkit does not import torch."""
from segkit.api import build, check, resolve
from segkit.block import Block, NodeRef, Params, Ref, expect, mismatch, per_dim
from segkit.errors import SegkitError, SourceLoc
from segkit.hookspecs import hookimpl
from segkit.shapes import Geometry, Inference, Shape
from segkit.spec.schema import load_spec
from segkit.weights import LoadReport, load_weights

__version__ = "0.1.0"

__all__ = [
    "Block", "Geometry", "Inference", "LoadReport", "NodeRef", "Params", "Ref", "SegkitError", "Shape",
    "SourceLoc", "build", "check", "expect", "hookimpl", "load_spec", "load_weights", "mismatch", "per_dim",
    "resolve",
]

"""segkit: segmentation networks as YAML graph specs, checked statically and compiled
into PyTorch modules. Importing segkit does not import torch.

The names here are the Python API (:mod:`segkit.api`) and the block contract; plugin
authors import from :mod:`segkit.plugin`. Import paths of segkit 0.1 keep working as
deprecated aliases (:mod:`segkit._aliases`)."""
from segkit import _aliases
from segkit.api import build, build_for_inference, check, default_registry, load_spec, load_weights, resolve
from segkit.core.block import Block, NodeRef, Params, Ref, expect, mismatch, per_dim
from segkit.core.shape import Geometry, Inference, Shape
from segkit.errors import SegkitError, SourceLoc
from segkit.importer import Imported, import_model
from segkit.plugins.hookspecs import hookimpl
from segkit.weights.loading import LoadReport

_aliases.install()

__version__ = "0.1.0"

__all__ = [
    "Imported", "import_model",
    "Block", "Geometry", "Inference", "LoadReport", "NodeRef", "Params", "Ref", "SegkitError", "Shape",
    "SourceLoc", "build", "build_for_inference", "check", "default_registry", "expect", "hookimpl", "load_spec",
    "load_weights", "mismatch", "per_dim", "resolve",
]

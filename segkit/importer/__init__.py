"""Import an existing PyTorch CNN as a segkit spec: trace it with torch.fx, map every fx
node onto segkit's primitive ops exactly, and give the flat spec (YAML text) with a
state dict that loads strictly into ``segkit.build(spec)``. Anything that has no exact
segkit form is refused with an ``ImportRefusal`` naming the fx node and its op.

Torch is imported only inside functions (``segkit/importer/imported.py``), so that
importing this package, and so ``segkit check``, stays torch-free."""
from segkit.importer.errors import ImportRefusal
from segkit.importer.imported import Imported, import_model

__all__ = ["ImportRefusal", "Imported", "import_model"]

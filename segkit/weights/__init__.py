"""Weights: loading state dicts of segkit and of other code bases into compiled specs
(:mod:`.loading`, with the key layouts in :mod:`.formats`, :mod:`.torchvision` and
:mod:`.timm_xception`) and writing checkpoints atomically (:mod:`.checkpoint`).
Importing this package does not import torch."""

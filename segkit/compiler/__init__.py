"""Graph -> ``torch.fx.GraphModule`` (:mod:`.codegen`) and the passes over it: in-place
activations and sums (:mod:`.inplace`) and BatchNorm folding (:mod:`.fold_bn`).
Importing this package does not import torch; its modules do."""

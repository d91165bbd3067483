"""Training, evaluation and prediction behind ``segkit train / eval / predict``.

Modules (each imports torch only when used, so ``segkit check`` stays torch-free):

``options``      parsing of command-line values (``--data NAME[:path]``, ``--crop HxW``)
``schedule``     poly learning-rate schedule with linear warmup
``distributed``  torchrun / DDP environment, all-reduce helpers, eval sharding
``state``        checkpoints: spec fingerprint, RNG states, atomic save, checked load
``data``         datasets by name, deterministic per-sample seeding, loaders
``inference``    plain, multi-scale + flip, and sliding-window prediction; evaluation
``logs``         metrics.csv, TensorBoard (when installed), PNG curves, progress output
``trainer``      the training loop
``predict``      palette masks and overlays
"""

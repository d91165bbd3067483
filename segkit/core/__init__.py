"""The vocabulary every stage shares, torch-free: ``Shape`` and ``Geometry``
(:mod:`.shape`), the block contract (:mod:`.block`: ``Params``, ``Block``, ``Macro``,
``expect``, ``ParamError``), the graph IR (:mod:`.graph`) and the size algebra blocks
state their spatial rules in (:mod:`.size_algebra`). Imports nothing above it."""

"""``segkit docs``: regenerates the generated parts of the documentation site.

The block reference, the CLI reference, the architecture table, the gallery (one page
and one graph picture per shipped spec) and README's table of architectures are computed
from the registry, the click command tree and segkit's own analysis, so they cannot
drift from the code; ``docs/architectures.yaml`` adds the hand-written reference figures.
The encoder table of docs/encoders.md is rendered from ``docs/encoders.json``, which
``python -m segkit.docgen.encoder_survey`` measures by importing timm and torchvision
models (too slow, and too optional, for every ``segkit docs``); tests re-measure rows.
One module per page kind; :mod:`segkit.docgen.site` puts them together and
:mod:`segkit.docgen.sync` writes them or reports which committed files are stale.
"""

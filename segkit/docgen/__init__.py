"""``segkit docs``: regenerates the generated parts of the documentation site.

The block reference, the CLI reference, the architecture table, the gallery (one page
and one graph picture per shipped spec) and README's table of architectures are computed
from the registry, the click command tree and segkit's own analysis, so they cannot
drift from the code; ``docs/architectures.yaml`` adds the hand-written reference figures.
One module per page kind; :mod:`segkit.docgen.site` puts them together and
:mod:`segkit.docgen.sync` writes them or reports which committed files are stale.
"""

"""segkit entry point (group ``segkit``, name ``crf``): registers the ``crf`` block and the
``crf`` post-processor. Importing this module does not import torch."""
from __future__ import annotations

from segkit.plugin import hookimpl
from segkit_crf.block import CRF
from segkit_crf.postprocess import CRFPostprocessor


@hookimpl
def segkit_register_blocks(register):
    register(CRF)


@hookimpl
def segkit_register_postprocessors(register):
    register(CRFPostprocessor())

"""The feature extractor ``segkit import timm:NAME`` imports: timm's fx one
(``features_only=True, feature_cls="fx"``), traced by timm with its own leaf modules
and the modules the importer takes whole (ResNeSt's ``SplitAttn``; self-attention, so
that its refusal names it); where timm
cannot build it, the model's own ``features_only`` module, which ``trace.py`` traces.
HRNet is such a model: its feature taps ("stem", "stage1", ...) name no fx node, and
timm gives it a module of its own (``HighResolutionNetFeatures``) that returns the stem
and each branch. Imports timm inside the function only."""
from __future__ import annotations

from contextlib import contextmanager

# timm (and the converters, which need torch) is imported inside functions, so that sources.py, and so
# `segkit check`, stays torch-free.


def timm_features(name: str, **kwargs):
    """timm's feature extractor of model ``name``; ``kwargs`` go to ``timm.create_model``."""
    import timm

    try:
        with _leaf_modules_as_timm_leaves():
            return timm.create_model(name, features_only=True, feature_cls="fx", **kwargs)
    except ValueError:  # a return node timm's fx extractor cannot find (HRNet's feature taps)
        return timm.create_model(name, features_only=True, **kwargs)


@contextmanager
def _leaf_modules_as_timm_leaves():
    """Register the modules the importer takes whole in timm's leaf set while timm traces, and
    take back the ones that were not there, so timm's registry is left as it was."""
    from timm.layers import _fx

    from segkit.importer.modules import leaf_modules

    added = [m for m in leaf_modules() if not _fx.is_notrace_module(m)]
    for module in added:
        _fx.register_notrace_module(module)
    try:
        yield
    finally:
        _fx._leaf_modules.difference_update(added)

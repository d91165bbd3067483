"""segkit entry point (group ``segkit``, name ``saliency``).

Registers the UC-Net blocks and spec, the ``rgbd_saliency`` dataset, the saliency metrics
and the ``kl_gaussian`` loss. Registration imports neither torch nor numpy: datasets,
metrics and losses are :class:`segkit.plugin.Lazy` handles imported on first use.
"""
from __future__ import annotations

from segkit.plugin import Lazy, hookimpl
from segkit_saliency import BLOCKS, SPECS
from segkit_saliency.ops import BLOCKS as PYTHON_BLOCKS

METRICS = {
    "mae": ("segkit_saliency.metrics:MAE", "mean absolute error of saliency maps"),
    "f_measure": ("segkit_saliency.metrics:FMeasure",
                  "F-measure (beta^2 0.3): mean over 256 thresholds; max and adaptive in summary()"),
    "s_measure": ("segkit_saliency.metrics:SMeasure", "structure measure (Fan et al., ICCV 2017), alpha 0.5"),
    "e_measure": ("segkit_saliency.metrics:EMeasure",
                  "enhanced-alignment measure (Fan et al., IJCAI 2018): mean over 256 thresholds"),
    "saliency": ("segkit_saliency.metrics:SaliencyMetrics", "MAE, F-, S- and E-measure together"),
}


@hookimpl
def segkit_register_blocks(register):
    for block in PYTHON_BLOCKS:
        register(block)
    for path in sorted(BLOCKS.glob("*.yaml")):
        register(path)


@hookimpl
def segkit_register_specs(register):
    for path in sorted(SPECS.glob("*.yaml")):
        register(path)


@hookimpl
def segkit_register_datasets(register):
    register(Lazy("segkit_saliency.dataset:RGBDSaliencyDataset", "rgbd_saliency",
                  "RGB-D salient objects: RGB/, depth/, GT/ with one stem per sample"))


@hookimpl
def segkit_register_metrics(register):
    for name, (target, doc) in METRICS.items():
        register(Lazy(target, name, doc))


@hookimpl
def segkit_register_losses(register):
    register(Lazy("segkit_saliency.losses:KLGaussianLoss", "kl_gaussian",
                  "UC-Net's CVAE loss: saliency BCE + KL(posterior || prior) (+ depth MSE)"))

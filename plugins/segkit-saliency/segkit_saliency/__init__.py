"""segkit-saliency: RGB-D salient object detection for segkit.

- the ``ucnet`` spec (UC-Net, Zhang et al., CVPR 2020) and its blocks ``gaussian_encoder``,
  ``reparameterize``, ``train_switch``, ``triple_conv``, ``rcab``, ``dense_aspp_head``;
- saliency metrics ``mae``, ``f_measure``, ``s_measure``, ``e_measure`` (and
  ``saliency``, all four) in :mod:`segkit_saliency.metrics`;
- the ``rgbd_saliency`` dataset (:mod:`segkit_saliency.dataset`);
- the hide-and-seek augmentation (:mod:`segkit_saliency.hide_and_seek`);
- the ``kl_gaussian`` loss (:mod:`segkit_saliency.losses`).

Importing the package (and the plugin module the ``segkit`` entry point names) imports
no torch.
"""
from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"
HERE = Path(__file__).parent
SPECS = HERE / "specs"
BLOCKS = HERE / "blocks"

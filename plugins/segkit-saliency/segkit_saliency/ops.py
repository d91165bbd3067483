"""The Python blocks of UC-Net (Zhang et al., "UC-Net: Uncertainty Inspired RGB-D Saliency
Detection via Conditional Variational Autoencoders", CVPR 2020), torch-free until built.

- ``reparameterize``: ``z = mu + eps * exp(logvar / 2)``, ``eps ~ N(0, I)`` (Kingma &
  Welling, ICLR 2014); inputs ``mu``, ``logvar`` of equal shape (``L x 1 x 1`` here).
  It samples in training mode and, with ``sample_eval`` (default, as UC-Net's test code),
  in eval mode too; ``sample_eval: false`` gives ``z = mu`` in eval mode.
- ``train_switch``: the first input in training mode, the second in eval mode (UC-Net's
  decoder reads the posterior sample while training and the prior sample at test time).
  ``torch.compile`` specialises on ``module.training``, so the unused branch is dead code.
- ``gaussian_encoder``: UC-Net's PriorNet / PosteriorNet (official ``Encoder_x`` /
  ``Encoder_xy``): the inputs concatenated along channels, ``layers`` (5) stride-2 4x4
  convs (with bias) + BN + LeakyReLU(0.01) of widths ``width`` x 1, 2, 4, 8, 8, then two
  "fully connected" heads to ``mu`` and ``logvar`` (``latent_dim`` x 1 x 1) and a
  ``reparameterize`` node ``sample``. The official heads are ``nn.Linear`` over the
  flattened 8w x 11 x 11 map of a 352 x 352 input; here the map is adaptively average
  pooled to ``grid`` x ``grid`` (11) and read by a ``grid`` x ``grid`` conv without
  padding: the same weights (a reshape) and the same function at 352 x 352, and a valid
  network at any other input size. Differences from the official code: its fifth conv
  is followed by ``bn4`` again (``bn5`` is created but unused), here by its own ``bn5``.

Shapes, parameters and MACs are exact (``segkit.testing.check_block``); the torch modules
live in :mod:`segkit_saliency.modules`.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from segkit.plugin import POINTWISE, Block, Inference, Macro, Params, PosInt, Shape, equal_sizes, mismatch


class ReparameterizeParams(Params):
    sample_eval: bool = True
    """Sample in eval mode too (UC-Net's test code does); false: z = mu in eval mode."""


class Reparameterize(Block):
    """z = mu + eps * exp(0.5 * logvar), eps ~ N(0, I) (``torch.randn_like``); inputs mu
    and logvar of one shape."""

    name = "reparameterize"
    Params = ReparameterizeParams
    arity = (2, 2)
    spatial_rule = equal_sizes

    def infer(self, p, mu: Shape, logvar: Shape) -> Inference:
        if mu != logvar:
            raise mismatch(0, 1, f"mu is {mu} but logvar is {logvar}", "mu and logvar need one shape")
        return Inference({"out": mu}, geometry=POINTWISE)

    def build(self, p, mu: Shape, logvar: Shape):
        from segkit_saliency.modules import Reparameterize as Module

        return Module(p.sample_eval)


class TrainSwitch(Block):
    """The first input in training mode, the second in eval mode (equal shapes)."""

    name = "train_switch"
    arity = (2, 2)
    spatial_rule = equal_sizes

    def infer(self, p, train: Shape, test: Shape) -> Inference:
        if train != test:
            raise mismatch(0, 1, f"the training input is {train} but the eval input is {test}",
                           "both branches must give one shape")
        return Inference({"out": train}, geometry=POINTWISE)

    def build(self, p, train: Shape, test: Shape):
        from segkit_saliency.modules import TrainSwitch as Module

        return Module()


class GaussianEncoderParams(Params):
    width: PosInt = 32
    """Width of the first conv; the convs have width x 1, 2, 4, 8, 8 (official: 32)."""
    latent_dim: PosInt = 3
    """Dimension of the Gaussian latent (3 in the paper)."""
    layers: PosInt = 5
    """Number of stride-2 convs (5: an input of 352 gives an 11 x 11 map)."""
    kernel: PosInt = 4
    """Kernel of the stride-2 convs, padded by (kernel - 1) // 2 (4: padding 1, as official)."""
    grid: PosInt = 11
    """Pooled size read by the grid x grid conv heads (11: the official fc layers at 352)."""
    negative_slope: Annotated[float, Field(ge=0)] = 0.01
    """Slope of the LeakyReLUs (PyTorch's default, as the official code)."""
    sample_eval: bool = True
    """The ``sample`` node draws z in eval mode too (see ``reparameterize``)."""


class GaussianEncoder(Macro):
    """UC-Net's PriorNet / PosteriorNet: concat the inputs, 5 x (4x4/2 conv + BN +
    LeakyReLU), pool to 11 x 11, heads to mu and logvar (latent_dim x 1 x 1), and a
    reparameterized sample z. Outputs: mu, logvar, z."""

    name = "gaussian_encoder"
    Params = GaussianEncoderParams
    arity = (1, None)

    def expand(self, p: GaussianEncoderParams, n_inputs: int) -> dict:
        names = [f"x{k}" for k in range(n_inputs)]
        nodes: dict = {}
        top = names[0]
        if n_inputs > 1:
            nodes["input"] = {"block": "concat", "from": names}
            top = "input"
        pad = (p.kernel - 1) // 2  # halves even sizes: 4x4 -> padding 1 as the official code
        for k in range(p.layers):
            nodes[f"layer{k + 1}"] = {"block": "conv", "from": top, "out": p.width * min(2 ** k, 8),
                                      "kernel": p.kernel, "stride": 2, "padding": pad, "bias": True}
            nodes[f"bn{k + 1}"] = {"block": "bn"}
            nodes[f"act{k + 1}"] = {"block": "act", "kind": "leaky_relu", "negative_slope": p.negative_slope}
            top = f"act{k + 1}"
        nodes["pool"] = {"block": "adaptive_avgpool", "from": top, "size": p.grid}
        for head in ("mu", "logvar"):
            nodes[head] = {"block": "conv", "from": "pool", "out": p.latent_dim, "kernel": p.grid, "padding": 0}
        nodes["sample"] = {"block": "reparameterize", "from": ["mu", "logvar"], "sample_eval": p.sample_eval}
        return {"inputs": {name: None for name in names}, "nodes": nodes,
                "outputs": {"mu": "mu", "logvar": "logvar", "z": "sample"}}


BLOCKS = (Reparameterize, TrainSwitch, GaussianEncoder)

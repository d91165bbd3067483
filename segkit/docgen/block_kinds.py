"""The kinds the block reference is split by: one page per kind, so a reader looking
for a decoder head does not scroll past seventy blocks.

Primitive ops are found by their module (``segkit.ops.*``); the blocks of the literature
are named here. A block named nowhere lands on the "Other blocks" page, which
tests/docgen/test_block_kinds.py keeps empty for segkit's own blocks.
"""
from __future__ import annotations

from dataclasses import dataclass

from segkit.plugins.registry import CompositeBlock


@dataclass(frozen=True)
class Kind:
    slug: str
    title: str
    intro: str
    names: frozenset[str] = frozenset()


OPS = Kind("ops", "Primitive ops", "One PyTorch layer or function each; every other block is built from these.")
KINDS = (
    OPS,
    Kind("units", "Common units", "Small composites that many specs share.", frozenset({"conv_bn_act", "se", "split_attention"})),
    Kind("encoders", "Encoders and their stages",
         "Backbones (ResNet, VGG, Xception, MobileNetV3, DenseNet) and the stages and layers they are made of.",
         frozenset({"resnet", "resnet_basic", "resnet_bottleneck", "resnet_stage", "vgg_stage", "xception_entry",
                    "xception_middle", "xception_exit", "xception_sepconv", "mobilenetv3", "mobilenetv3_block",
                    "mobilenetv3_conv", "mobilenetv3_se", "inverted_residual", "dense_block", "densenet_layer",
                    "densenet_bottleneck_layer", "densenet_transition", "transition_down", "transition_up"})),
    Kind("heads", "Heads and decoders",
         "Context modules and decoders that turn encoder features into per-pixel scores.",
         frozenset({"aspp", "aspp_conv", "deeplabv3plus_decoder", "lraspp_head", "ppm", "ppm_pool", "dense_aspp",
                    "dense_aspp_layer", "context_encoding", "jpu", "bilinear_deconv", "offset_crop", "fpn_conv",
                    "linknet_decoder"})),
    Kind("fusion", "Fusion and refinement", "Blocks that merge features of several resolutions.",
         frozenset({"refinenet", "rcu", "mrf", "crp", "cff"})),
    Kind("efficient", "Efficient networks", "The units of the real-time networks (ENet, ESPNet).",
         frozenset({"enet_initial", "enet_bottleneck", "esp"})),
)
OTHER = Kind("other", "Other blocks", "Blocks not sorted into a kind yet.")


def kind_of(name: str, block) -> Kind:
    """The kind whose page documents block ``name``."""
    if not isinstance(block, CompositeBlock) and str(getattr(block, "source", "")).startswith("segkit.ops."):
        return OPS
    return next((k for k in KINDS if name in k.names), OTHER)

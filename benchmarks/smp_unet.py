"""A hand-written U-Net on a ResNet-34 encoder, written as segmentation_models_pytorch
writes ``smp.Unet("resnet34")`` (smp 0.3: ``ResNetEncoder`` = torchvision's ResNet
without avgpool / fc; ``UnetDecoder`` of ``DecoderBlock``s, each nearest 2x
interpolation, ``torch.cat([x, skip])`` and two ``Conv2dReLU``; ``SegmentationHead`` a
3x3 conv), with smp's module names (``encoder.layer1.0.conv1``,
``decoder.blocks.0.conv1.0``, ``segmentation_head.0``). The reference for
specs/unet_resnet34.yaml: :func:`from_spec_state_dict` renames the compiled spec's
state dict onto this module, so both run with the same weights.
"""
from __future__ import annotations

import re

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity  # as torchvision's BasicBlock, which smp's ResNet encoders are
        return self.relu(out)


class ResNetEncoder(nn.Module):
    """smp's ResNetEncoder for resnet34: the six feature maps of strides 1..32."""

    def __init__(self, in_channels: int = 3, layers=(3, 4, 6, 3)):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = 64
        for k, (n, planes) in enumerate(zip(layers, (64, 128, 256, 512))):
            stride = 1 if k == 0 else 2
            blocks = [BasicBlock(inplanes, planes, stride)] + [BasicBlock(planes, planes) for _ in range(n - 1)]
            self.add_module(f"layer{k + 1}", nn.Sequential(*blocks))
            inplanes = planes

    def get_stages(self):
        return [nn.Identity(), nn.Sequential(self.conv1, self.bn1, self.relu),
                nn.Sequential(self.maxpool, self.layer1), self.layer2, self.layer3, self.layer4]

    def forward(self, x):
        features = []
        for stage in self.get_stages():
            x = stage(x)
            features.append(x)
        return features


class Conv2dReLU(nn.Sequential):
    """smp.base.modules.Conv2dReLU with use_batchnorm=True."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, padding: int = 1):
        super().__init__(nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class DecoderBlock(nn.Module):
    def __init__(self, in_channels: int, skip_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = Conv2dReLU(in_channels + skip_channels, out_channels)
        self.attention1 = nn.Identity()
        self.conv2 = Conv2dReLU(out_channels, out_channels)
        self.attention2 = nn.Identity()

    def forward(self, x, skip=None):
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
            x = self.attention1(x)
        x = self.conv1(x)
        x = self.conv2(x)
        return self.attention2(x)


class UnetDecoder(nn.Module):
    def __init__(self, encoder_channels=(3, 64, 64, 128, 256, 512), decoder_channels=(256, 128, 64, 32, 16)):
        super().__init__()
        encoder_channels = encoder_channels[1:][::-1]
        in_channels = [encoder_channels[0]] + list(decoder_channels[:-1])
        skip_channels = list(encoder_channels[1:]) + [0]
        self.center = nn.Identity()
        self.blocks = nn.ModuleList(DecoderBlock(i, s, o)
                                    for i, s, o in zip(in_channels, skip_channels, decoder_channels))

    def forward(self, *features):
        features = features[1:][::-1]
        head, skips = features[0], features[1:]
        x = self.center(head)
        for i, block in enumerate(self.blocks):
            x = block(x, skips[i] if i < len(skips) else None)
        return x


class SmpUnet(nn.Module):
    """``smp.Unet("resnet34", encoder_weights=None, classes=num_classes)``."""

    def __init__(self, num_classes: int = 21, in_channels: int = 3, decoder_channels=(256, 128, 64, 32, 16)):
        super().__init__()
        self.encoder = ResNetEncoder(in_channels)
        self.decoder = UnetDecoder(decoder_channels=decoder_channels)
        self.segmentation_head = nn.Sequential(nn.Conv2d(decoder_channels[-1], num_classes, 3, padding=1),
                                               nn.Identity(), nn.Identity())

    def forward(self, x):
        return self.segmentation_head(self.decoder(*self.encoder(x)))


def spec_key(key: str) -> str:
    """The SmpUnet key for a key of the compiled specs/unet_resnet34.yaml."""
    key = re.sub(r"^(layer\d\.\d+\.downsample)\.conv\.", r"\1.0.", key)
    key = re.sub(r"^(layer\d\.\d+\.downsample)\.bn\.", r"\1.1.", key)
    if re.match(r"^(conv1|bn1|layer\d)\.", key):
        return "encoder." + key
    found = re.match(r"^dec(\d)\.(\d)\.(conv|bn)\.(.*)$", key)
    if found:
        block, conv, part, rest = found.groups()
        return f"decoder.blocks.{int(block) - 1}.conv{int(conv) + 1}.{0 if part == 'conv' else 1}.{rest}"
    if key.startswith("head."):
        return "segmentation_head.0." + key[len("head."):]
    raise KeyError(key)


def from_spec_state_dict(state_dict: dict) -> dict:
    return {spec_key(k): v for k, v in state_dict.items()}

"""Hand-written PyTorch reference modules for benchmarks: what an engineer would write
for specs/examples/fcn8s_tiny.yaml and unet_valid_tiny.yaml, with the same submodule
names, so the compiled spec's state_dict loads into them unchanged. ReLUs are in-place, as
hand-written networks (torchvision's) write them."""
from __future__ import annotations

import torch
import torch.nn as nn


class ConvBNAct(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int = 3, padding: int | None = None, norm: bool = True):
        super().__init__()
        padding = kernel // 2 if padding is None else padding
        self.conv = nn.Conv2d(cin, cout, kernel, padding=padding, bias=not norm)
        self.bn = nn.BatchNorm2d(cout) if norm else None
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return self.act(x)


def stage(cin: int, cout: int, n: int, **kw) -> nn.Sequential:
    return nn.Sequential(*[ConvBNAct(cin if i == 0 else cout, cout, **kw) for i in range(n)])


class FCN8sTiny(nn.Module):
    def __init__(self, num_classes: int = 21, width: int = 16):
        super().__init__()
        w = width
        self.conv1, self.pool1 = stage(3, w, 2), nn.MaxPool2d(2)
        self.conv2, self.pool2 = stage(w, 2 * w, 2), nn.MaxPool2d(2)
        self.conv3, self.pool3 = stage(2 * w, 4 * w, 3), nn.MaxPool2d(2)
        self.conv4, self.pool4 = stage(4 * w, 8 * w, 3), nn.MaxPool2d(2)
        self.conv5, self.pool5 = stage(8 * w, 8 * w, 3), nn.MaxPool2d(2)
        self.fc6 = ConvBNAct(8 * w, 32 * w, 7)
        self.fc7 = ConvBNAct(32 * w, 32 * w, 1)
        self.score32 = nn.Conv2d(32 * w, num_classes, 1)
        self.up32 = nn.ConvTranspose2d(num_classes, num_classes, 4, 2, 1, bias=False)
        self.score16 = nn.Conv2d(8 * w, num_classes, 1)
        self.up16 = nn.ConvTranspose2d(num_classes, num_classes, 4, 2, 1, bias=False)
        self.score8 = nn.Conv2d(4 * w, num_classes, 1)
        self.up8 = nn.ConvTranspose2d(num_classes, num_classes, 16, 8, 4, bias=False)

    def forward(self, x):
        p3 = self.pool3(self.conv3(self.pool2(self.conv2(self.pool1(self.conv1(x))))))
        p4 = self.pool4(self.conv4(p3))
        p5 = self.pool5(self.conv5(p4))
        s = self.up32(self.score32(self.fc7(self.fc6(p5))))
        s = self.up16(s + self.score16(p4))
        return self.up8(s + self.score8(p3))


def center_crop(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    dh = (x.shape[2] - like.shape[2]) // 2
    dw = (x.shape[3] - like.shape[3]) // 2
    return x[:, :, dh:dh + like.shape[2], dw:dw + like.shape[3]]


class UNetValidTiny(nn.Module):
    def __init__(self, num_classes: int = 2, width: int = 16, in_channels: int = 1):
        super().__init__()
        w = width
        kw = dict(padding=0, norm=False)
        self.enc1, self.pool1 = stage(in_channels, w, 2, **kw), nn.MaxPool2d(2)
        self.enc2, self.pool2 = stage(w, 2 * w, 2, **kw), nn.MaxPool2d(2)
        self.bottom = stage(2 * w, 4 * w, 2, **kw)
        self.up2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, 2)
        self.dec2 = stage(4 * w, 2 * w, 2, **kw)
        self.up1 = nn.ConvTranspose2d(2 * w, w, 2, 2)
        self.dec1 = stage(2 * w, w, 2, **kw)
        self.classifier = nn.Conv2d(w, num_classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool1(e1))
        b = self.bottom(self.pool2(e2))
        u2 = self.up2(b)
        d2 = self.dec2(torch.cat([center_crop(e2, u2), u2], 1))
        u1 = self.up1(d2)
        d1 = self.dec1(torch.cat([center_crop(e1, u1), u1], 1))
        return self.classifier(d1)

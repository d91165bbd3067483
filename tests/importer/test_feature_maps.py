"""``torchvision:`` and ``module:factory`` sources: which map is the output at each
stride. The stage output, as timm's feature_info names it, not the first conv of the
next stage (ResNet-50's bottleneck reads its input in the shortcut too) nor the
expansion conv of the next block (MobileNet's inverted residuals)."""
import pytest
import torch

from segkit.importer.sources import feature_maps

torchvision = pytest.importorskip("torchvision")


def channels(gm) -> list[int]:
    out = gm(torch.randn(1, 3, 64, 64))
    return [o.shape[1] for o in out]


@pytest.mark.parametrize("factory,expected", [
    (torchvision.models.resnet50, [64, 256, 512, 1024, 2048]),
    (torchvision.models.mobilenet_v3_large, [16, 24, 40, 112, 960]),
    (torchvision.models.regnet_y_400mf, [32, 48, 104, 208, 440]),
])
def test_the_stage_output_at_each_stride(factory, expected):
    assert channels(feature_maps(factory().eval(), (64, 64))) == expected


class TwoBranches(torch.nn.Module):
    """At stride 2 the concatenation is the stage output: the conv before it ends a
    module, but the branches read it apart, so it is no cut."""

    def __init__(self):
        super().__init__()
        self.down = torch.nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.a = torch.nn.Conv2d(4, 5, 1)
        self.b = torch.nn.Conv2d(4, 6, 1)
        self.head = torch.nn.Conv2d(11, 7, 3, stride=2, padding=1)

    def forward(self, x):
        x = self.down(x)
        return self.head(torch.cat([self.a(x), self.b(x)], 1))


def test_a_step_of_the_models_own_forward_that_is_a_cut_wins():
    assert channels(feature_maps(TwoBranches().eval(), (64, 64))) == [11, 7]


def test_unpadded_networks_take_the_nominal_stride():
    """SqueezeNet's unpadded convs and ceil-mode pools give 31, 15, 7, 3 at 64x64: the
    maps at strides 2, 4, 8 and 16 (not refused for not dividing the input)."""
    gm = feature_maps(torchvision.models.squeezenet1_1().eval(), (64, 64))
    out = gm(torch.randn(1, 3, 64, 64))
    assert [o.shape[-1] for o in out] == [31, 15, 7, 3]


def test_a_model_without_a_downsampled_map_is_an_input_error():
    from segkit.errors import InputError

    with pytest.raises(InputError, match="no feature map at a stride"):
        feature_maps(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1)).eval(), (16, 16))

"""Models beyond the issue's list, built from the same kinds of ops: ConvNeXt V2's
global response norm (a timm module taken whole, channels-first here), GhostNet's
channel slices written ``x[:, :n, :, :]``, SqueezeNet's unpadded maps at nominal
strides, and a model too small for its input refused at the fx node that fails."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from segkit.cli.group import main
from segkit.importer.sources import load_source

from .exactness import compare

timm = pytest.importorskip("timm")


@pytest.mark.parametrize("name", ["convnextv2_atto", "ghostnet_100"])
def test_timm_model_imports_exactly(name):
    diff, params_equal, imported = compare(load_source(f"timm:{name}", input_size=(64, 64)), name=name)
    assert diff == 0 and params_equal
    assert imported.outputs[-1] == "c5"


def test_grn_is_one_node():
    _, _, imported = compare(load_source("timm:convnextv2_atto", input_size=(64, 64)), name="v2")
    grn = [line for line in imported.spec.splitlines() if "block: grn" in line]
    assert len(grn) == 2 + 2 + 6 + 2  # one per ConvNeXt V2 block (atto: depths 2, 2, 6, 2)


def test_squeezenet_outputs_are_named_by_nominal_stride():
    pytest.importorskip("torchvision")
    diff, params_equal, features = compare(load_source("torchvision:squeezenet1_1", input_size=(64, 64)), name="sq")
    assert diff == 0 and params_equal
    assert features.outputs == ("c1", "c2", "c3", "c4")


def test_an_input_too_small_for_the_model_is_a_located_error(tmp_path):
    result = CliRunner().invoke(main, ["import", "timm:inception_v3", "-o", str(tmp_path / "i.yaml"),
                                       "--input", "3x64x64"])
    assert result.exit_code == 2, result.output
    assert "--input: error: the model does not run on an input of 3x64x64 at fx node" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "i.yaml").exists()

"""Registering a dataset class directly (not through ``Lazy``) keeps ``segkit check``
free of torch and numpy: the dataset base class imports neither, and segkit's registry
does not touch them for what a plugin registers."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import segkit
from segkit.errors import ShapeError

ROOT = Path(__file__).resolve().parents[2]

PLUGIN = '''
"""A plugin whose dataset class is registered as a class, at import."""
from segkit.plugin import SegDataset, hookimpl, parse_options


class Tiles(SegDataset):
    name = "tiles"
    num_classes = 2
    default_crop = (64, 64)
    options = {"length": (int, 4)}

    def __init__(self, split, transform=None, length=4):
        super().__init__(split, transform)
        self.length = length

    @classmethod
    def open(cls, path, split, transform=None, **options):
        return cls(cls.check_split(split), transform, **parse_options(cls.name, options, cls.options))

    def __len__(self):
        return self.length

    def load(self, i):
        import numpy as np

        return np.zeros((64, 64, 3), np.uint8), np.zeros((64, 64), np.int64)


@hookimpl
def segkit_register_datasets(register):
    register(Tiles)
'''

CHECK = '''
import sys
import tiles_plugin
from segkit import api
from segkit.plugins.manager import get_plugin_manager
from segkit.plugins.registry import Registry

plugins = get_plugin_manager(load_entry_points=False)
plugins.manager.register(tiles_plugin, name="tiles")
registry = Registry.from_plugins(plugins)
assert registry.get("dataset", "tiles").default_crop == (64, 64)
api.check("specs/fcn8s.yaml", None, registry)
assert not {"torch", "numpy"} & set(sys.modules), sorted(m for m in sys.modules if m.startswith(("torch", "numpy")))
'''


def run(code: str, path: Path) -> None:
    """Run ``code`` in a fresh interpreter (sys.modules starts empty) with ``path`` importable."""
    subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(path)})


def test_a_dataset_class_registered_directly_imports_neither_torch_nor_numpy(tmp_path):
    (tmp_path / "tiles_plugin.py").write_text(PLUGIN)
    run(CHECK, tmp_path)


def test_the_dataset_still_yields_tensors(tmp_path):
    (tmp_path / "tiles_plugin.py").write_text(PLUGIN)
    run("""
        import torch
        from tiles_plugin import Tiles
        image, mask = Tiles.open(None, "train", length="2")[1]
        assert image.shape == (3, 64, 64) and image.dtype == torch.float32
        assert mask.shape == (64, 64) and mask.dtype == torch.int64
        """, tmp_path)


def test_the_training_crop_defaults_to_the_datasets(tmp_path):
    (tmp_path / "tiles_plugin.py").write_text(PLUGIN)
    run("""
        from segkit.data.synthetic import SyntheticShapes
        from segkit.train.trainer import DEFAULT_CROP, default_crop
        from tiles_plugin import Tiles
        assert default_crop(Tiles.open(None, "train")) == (64, 64)
        assert default_crop(SyntheticShapes("train", size=48)) == (48, 48)
        Tiles.default_crop = None
        assert default_crop(Tiles.open(None, "train")) == (DEFAULT_CROP, DEFAULT_CROP)
        """, tmp_path)


def test_the_size_hint_names_the_option_the_size_came_from():
    with pytest.raises(ShapeError) as info:
        segkit.check(ROOT / "specs/enet.yaml", "3x31x31", size_option="--crop")
    assert info.value.hint.endswith("try --crop 30x30")

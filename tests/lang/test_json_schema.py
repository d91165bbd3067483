"""`segkit schema`: every shipped spec validates; mistakes an editor should flag are flagged."""
from __future__ import annotations

import functools
from pathlib import Path

import jsonschema
import pytest
import yaml

from segkit.lang.json_schema import spec_schema
from segkit.plugins.manager import get_plugin_manager
from segkit.plugins.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "specs").rglob("*.yaml"))
BLOCKS = sorted((ROOT / "segkit" / "blocks").glob("*.yaml"))


@functools.lru_cache(maxsize=1)
def validator():
    schema = spec_schema(Registry.from_plugins(get_plugin_manager(load_entry_points=False)))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", SPECS + BLOCKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_spec_validates(path):
    errors = list(validator().iter_errors(yaml.safe_load(path.read_text())))
    assert not errors, "\n".join(e.message for e in errors[:5])


GOOD = {"segkit": 1, "name": "t", "inputs": {"x": 3},
        "nodes": {"a": {"block": "conv", "out": 4, "kernel": "${k}"}}, "outputs": {"out": "a"}}


@pytest.mark.parametrize("node, flagged", [
    ({"block": "conv", "out": 4}, False),
    ({"block": "conv", "out": "${w * 2}"}, False),
    ({"block": "conv", "out": 4, "kernal": 3}, True),        # misspelt param
    ({"block": "conv", "out": "four"}, True),                 # wrong type
    ({"block": "conv", "kernel": 3}, True),                   # required param missing
    ({"block": "maxpool", "ceil_mode": "yes"}, True),
    ({"block": "resnet", "depth": 50, "output_stride": 8}, False),
    ({"block": "resnet", "detph": 50}, True),                 # composite params are checked too
])
def test_editor_flags_mistakes(node, flagged):
    spec = {**GOOD, "nodes": {"a": node}}
    assert bool(list(validator().iter_errors(spec))) is flagged


def test_unknown_top_level_key_is_flagged():
    assert list(validator().iter_errors({**GOOD, "nodez": {}}))

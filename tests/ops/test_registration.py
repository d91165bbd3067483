"""Every ops module registers its blocks through the plugin hook, imports no torch,
and documents every param."""
import ast
import importlib
import inspect
import subprocess
import sys

import pytest

from segkit.core.block import Block

FAMILIES = {
    "conv": ["conv", "conv_transpose", "sepconv"],
    "norm": ["bn", "gn", "in"],
    "activation": ["act", "softmax", "sigmoid"],
    "pool": ["maxpool", "avgpool", "adaptive_avgpool", "adaptive_maxpool", "global_avgpool", "unpool"],
    "resize": ["resize"],
    "merge": ["concat", "add", "mul"],
    "channels": ["split", "slice", "pad_channels", "crop"],
    "misc": ["dropout", "dropout2d", "identity"],
}


@pytest.mark.parametrize("family", FAMILIES)
def test_registers_blocks(family):
    module = importlib.import_module(f"segkit.ops.{family}")
    registered = []
    module.segkit_register_blocks(register=registered.append)
    assert [b.name for b in registered] == FAMILIES[family]
    for block in registered:
        assert issubclass(block, Block) and block.__doc__, block


def test_ops_import_no_torch():
    modules = ", ".join(f"segkit.ops.{f}" for f in FAMILIES)
    code = f"import sys, {modules}; assert 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("family", FAMILIES)
def test_params_fields_have_docstrings(family):
    tree = ast.parse(inspect.getsource(importlib.import_module(f"segkit.ops.{family}")))
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name.endswith("Params")):
        for field, after in zip(cls.body, cls.body[1:] + [None]):
            if isinstance(field, ast.AnnAssign):
                documented = isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                assert documented, f"{family}.{cls.name}.{field.target.id} has no docstring"

"""The package layering of docs/design.md: imports point down, never up.

Each package of ``segkit/`` (and each top-level module) has a layer; a module may import
from its own package or from a lower layer only, so there is no cycle between packages.
No two modules import each other at module level. A function-level import is allowed
only where it keeps torch (or another optional dependency) out of ``segkit check``: it
must import such a dependency, or a segkit module that does at import time, and its
module says so in a comment (a module that imports torch at import time anyway keeps
nothing out by importing more of it late). The checker is tested on deliberately wrong imports, so it
cannot pass vacuously.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS: list[tuple[str, ...]] = [
    ("errors", "_aliases"),
    ("core",),
    ("analysis",),
    ("lang",),
    ("plugins",),
    ("ops",),
    ("blocks",),
    ("compiler",),
    ("data", "weights", "views"),
    ("export", "bench"),
    ("importer",),
    ("api",),
    ("train",),
    ("plugin", "testing", "docgen", "scaffold"),
    ("cli",),
    ("__init__", "__main__"),
]
"""Bottom to top; packages on one line are independent of each other. Keep in step with
the table in docs/design.md."""
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
OPTIONAL = {"torch", "torchvision", "timm", "onnx", "onnxruntime", "PIL", "numpy", "rich", "matplotlib",
            "tensorboard", "hypothesis", "jsonschema", "mkdocs", "pytest"}
"""Third-party modules that ``segkit check`` must not import."""
JUSTIFIED = re.compile(r"#.*(torch|optional)", re.I)
"""The comment that says why a module imports inside functions."""


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    in_function: bool


def package_of(module: str) -> str:
    """``segkit.core.block`` -> ``core``; ``segkit.api`` -> ``api``; ``segkit`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(module: str, source: str) -> list[Import]:
    """Every import of a ``segkit`` module or an optional dependency in ``source``."""
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                for alias in child.names:  # ``from segkit.ops import functional`` imports a module
                    submodule = f"{child.module}.{alias.name}"
                    target = submodule if _is_module(submodule) else child.module
                    found.append(Import(module, target, child.lineno, in_function))
            elif isinstance(child, ast.Import):
                found.extend(Import(module, alias.name, child.lineno, in_function) for alias in child.names)
            visit(child, nested)

    visit(ast.parse(source), False)
    return [i for i in found if i.target.split(".")[0] in {"segkit", *OPTIONAL}]


def _is_module(name: str) -> bool:
    path = ROOT / Path(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def segkit_sources() -> dict[str, str]:
    return {module_name(p): p.read_text() for p in sorted((ROOT / "segkit").rglob("*.py"))}


def wrong_way(imports: list[Import]) -> list[str]:
    """Imports of a package above (or beside) the importer's."""
    problems = []
    for i in imports:
        if not i.target.startswith("segkit"):
            continue
        here, there = package_of(i.source), package_of(i.target)
        if here == there:
            continue
        if here not in RANK or there not in RANK:
            problems.append(f"{i.source}:{i.line}: package {here if here not in RANK else there!r} has no layer")
        elif RANK[there] >= RANK[here]:
            problems.append(f"{i.source}:{i.line}: {here} imports {i.target}, which is "
                            f"{'beside' if RANK[there] == RANK[here] else 'above'} it")
    return problems


def cycles(imports: list[Import]) -> list[list[str]]:
    """Cycles among modules through module-level imports."""
    edges: dict[str, set[str]] = {}
    for i in imports:
        if not i.in_function and i.target.startswith("segkit") and i.target != i.source:
            edges.setdefault(i.source, set()).add(i.target)
    found, state = [], {}

    def walk(node, stack):
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                walk(nxt, stack + [nxt])
        state[node] = "done"

    for start in sorted(edges):
        if start not in state:
            walk(start, [start])
    return found


def heavy_modules(imports: list[Import]) -> set[str]:
    """segkit modules that import an optional dependency at module level, directly or
    through the segkit modules they import at module level."""
    top = [i for i in imports if not i.in_function]
    heavy = {i.source for i in top if i.target.split(".")[0] in OPTIONAL}
    grew = True
    while grew:
        more = {i.source for i in top if i.target in heavy} - heavy
        heavy |= more
        grew = bool(more)
    return heavy


def unjustified_local_imports(imports: list[Import], sources: dict[str, str]) -> list[str]:
    """Function-level imports that keep nothing optional out, or whose module does not
    say why it imports inside functions."""
    heavy = heavy_modules(imports)
    loaded = {(i.source, i.target.split(".")[0]) for i in imports if not i.in_function}
    problems = []
    for i in imports:
        if not i.in_function:
            continue
        root = i.target.split(".")[0]
        if root == "segkit":  # a module that imports torch at import time anyway keeps nothing out
            optional = i.target in heavy and i.source not in heavy
        else:
            optional = root in OPTIONAL and (i.source, root) not in loaded and not (root == "torch" and i.source in heavy)
        if not optional:
            problems.append(f"{i.source}:{i.line}: imports {i.target} inside a function, which keeps nothing "
                            "optional out of `segkit check`: import it at the top")
        elif not JUSTIFIED.search(sources.get(i.source, "")):
            problems.append(f"{i.source}: imports inside functions without a comment saying why (torch)")
    return sorted(set(problems))


@pytest.fixture(scope="module")
def tree():
    sources = segkit_sources()
    imports = [i for module, text in sources.items() for i in imports_of(module, text)]
    return sources, imports


def test_every_package_has_a_layer(tree):
    sources, _ = tree
    assert {package_of(m) for m in sources} <= set(RANK), "give the new package a line in LAYERS (and docs/design.md)"


def test_imports_point_down(tree):
    _, imports = tree
    assert wrong_way(imports) == []


def test_no_import_cycles(tree):
    _, imports = tree
    assert cycles(imports) == []


def test_function_level_imports_only_keep_optional_dependencies_out(tree):
    sources, imports = tree
    assert unjustified_local_imports(imports, sources) == []


def test_the_layer_table_in_the_design_doc_matches():
    doc = (ROOT / "docs" / "design.md").read_text()
    for names in LAYERS:
        for name in names:
            if not name.startswith("_"):
                assert f"`{name}" in doc, f"docs/design.md does not place {name!r} in the layer table"


# -- the checker itself catches what it must ------------------------------------------------


def test_a_wrong_way_import_is_caught():
    bad = imports_of("segkit.core.block", "from segkit.lang.schema import Spec\n")
    assert wrong_way(bad) == ["segkit.core.block:1: core imports segkit.lang.schema, which is above it"]
    beside = imports_of("segkit.data.base", "from segkit.views.tables import block_fields\n")
    assert "beside" in wrong_way(beside)[0]
    assert wrong_way(imports_of("segkit.lang.schema", "from segkit.core.block import Block\n")) == []


def test_a_cycle_is_caught():
    imports = imports_of("segkit.core.a", "from segkit.core.b import x\n") + \
        imports_of("segkit.core.b", "import segkit.core.a\n")
    assert cycles(imports) == [["segkit.core.a", "segkit.core.b", "segkit.core.a"]]


def test_a_cycle_dodging_local_import_is_caught():
    text = "def f():\n    from segkit.core.graph import Graph\n"
    imports = imports_of("segkit.lang.resolver", text)
    assert "keeps nothing optional out" in unjustified_local_imports(imports, {"segkit.lang.resolver": text})[0]
    torch_text = "# torch is imported when building, so check stays torch-free\ndef f():\n    import torch\n"
    imports = imports_of("segkit.api", torch_text)
    assert unjustified_local_imports(imports, {"segkit.api": torch_text}) == []
    assert unjustified_local_imports(imports, {"segkit.api": "def f():\n    import torch\n"})

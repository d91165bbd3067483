"""Field docs are read from the source on demand, as pydantic's attribute docstrings."""
from pydantic import ConfigDict, Field

from segkit.core.block import Params
from segkit.core.field_docs import field_docs


class Base(Params):
    out: int
    """Output channels."""
    kernel: int = 3
    """Kernel size,
       indented on its second line."""
    plain: int = 0


class Child(Base):
    kernel: int = 5
    """The child's own words."""
    bias: bool = Field(True, description="explicit wins")
    """never read"""
    undocumented: int = 1


def test_docs_follow_the_fields_like_pydantics_attribute_docstrings():
    class Pydantics(Base):
        model_config = ConfigDict(use_attribute_docstrings=True)
        kernel: int = 5
        """The child's own words."""

    assert field_docs(Base) == {"out": "Output channels.", "kernel": "Kernel size,\nindented on its second line."}
    expected = {name: info.description for name, info in Pydantics.model_fields.items() if info.description}
    assert {k: v for k, v in field_docs(Pydantics).items() if k in expected} == expected


def test_a_subclass_overrides_and_an_explicit_description_wins():
    docs = field_docs(Child)
    assert docs["out"] == "Output channels."
    assert docs["kernel"] == "The child's own words."
    assert docs["bias"] == "explicit wins"
    assert "undocumented" not in docs and "plain" not in docs


def test_a_class_without_source_has_no_docs():
    made = type("Made", (Params,), {"__annotations__": {"x": int}, "__module__": "nowhere"})
    assert field_docs(made) == {}


def test_every_registered_block_reads_as_pydantic_would():
    from pydantic._internal._docs_extraction import extract_docstrings_from_cls

    from segkit.testing import make_registry

    registry = make_registry()
    checked = 0
    for name in registry.blocks:
        params = getattr(registry.block(name), "Params", None)
        for cls in getattr(params, "__mro__", ())[:-3]:  # up to BaseModel, object
            assert _own(cls) == extract_docstrings_from_cls(cls, use_inspect=True), (name, cls)
            checked += 1
    assert checked > 30


def _own(cls):
    from segkit.core.field_docs import _own_docs

    return _own_docs(cls)

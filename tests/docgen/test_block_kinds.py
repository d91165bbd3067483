"""The block reference split by kind: every segkit block has a kind, segkit's pages are an
index and one page per kind, a one-kind plugin keeps one page, and the nav in mkdocs.yml
lists them between its markers."""
from __future__ import annotations

from pathlib import Path

import pytest

from segkit.api import default_registry
from segkit.docgen import blocks, nav
from segkit.docgen.block_kinds import OPS, OTHER, kind_of

ROOT = Path(__file__).resolve().parents[2]


def test_every_segkit_block_has_a_kind():
    registry = default_registry()
    unsorted = [n for n, e in registry.blocks.items() if e.dist == "segkit" and kind_of(n, e.obj) is OTHER]
    assert not unsorted, f"name these blocks in segkit/docgen/block_kinds.py: {unsorted}"
    assert kind_of("conv", registry.blocks["conv"].obj) is OPS


@pytest.fixture(scope="module")
def segkit_pages():
    return blocks.pages("segkit", default_registry(), ROOT)


def test_segkit_reference_is_an_index_and_a_page_per_kind(segkit_pages):
    assert list(segkit_pages)[0] == "blocks/segkit.md"
    assert {"blocks/segkit/ops.md", "blocks/segkit/encoders.md", "blocks/segkit/heads.md"} <= set(segkit_pages)
    index = segkit_pages["blocks/segkit.md"]
    assert "| [conv](segkit/ops.md#conv) |" in index and "[heads and decoders](segkit/heads.md)" in index
    assert "## aspp" in segkit_pages["blocks/segkit/heads.md"] and "## aspp" not in index
    assert "(../../spec-language.md)" in segkit_pages["blocks/segkit/ops.md"]


def test_a_plugin_of_one_kind_keeps_one_page():
    registry = default_registry()
    assert list(blocks.pages("segkit-crf", registry, ROOT)) == ["blocks/segkit-crf.md"]


def test_nav_fill_replaces_only_between_the_markers():
    begin, end = nav.markers("gallery")
    text = f"nav:\n  - A: a.md\n  - G:\n      {begin}\n      - old.md\n      {end}\n  - Z: z.md\n"
    filled = nav.fill(text, "gallery", ["- new.md", '- "X":', "    - x.md"])
    assert filled == f"nav:\n  - A: a.md\n  - G:\n      {begin}\n      - new.md\n      - \"X\":\n          - x.md\n      {end}\n  - Z: z.md\n"
    assert nav.fill("nav: []\n", "gallery", []) is None

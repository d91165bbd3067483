"""Every generated file of the docs, computed in memory: ``generate(root, registry, group)``.

Markdown pages (and the gallery's interactive graph pages) are complete texts; README.md,
docs/encoders.md and mkdocs.yml get only the sections between their markers replaced. Pictures are DOT
sources that :mod:`segkit.docgen.sync` renders to SVG. Pages that describe a plugin of
the checkout that is not loaded are listed as kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from segkit.docgen import architectures, blocks, catalog, cli_ref, encoder_data, encoders, gallery, nav
from segkit.docgen.markdown import fill, markers
from segkit.errors import InputError, SourceLoc
from segkit.plugins.registry import Registry

DOCS = "docs"
GENERATED_DIRS = ("docs/gallery", "docs/blocks")
README = "README.md"


@dataclass
class Site:
    """Generated text by path relative to the repository root."""

    pages: dict[str, str] = field(default_factory=dict)
    pictures: dict[str, str] = field(default_factory=dict)
    """SVG path -> DOT source."""
    kept: set[str] = field(default_factory=set)
    """Files left as they are because a plugin they describe is not loaded."""
    notes: list[str] = field(default_factory=list)


def _docs(path: str) -> str:
    return f"{DOCS}/{path}"


def fill_section(root: Path, rel: str, section: str, body: str, what: str) -> str:
    """The hand-written file ``rel`` with its generated ``section`` (``what`` it holds) replaced by ``body``."""
    path = root / rel
    filled = fill(path.read_text(encoding="utf-8") if path.is_file() else "", section, body)
    if filled is None:
        begin, end = markers(section)
        raise InputError(f"{rel} has no generated {section} section; add the lines\n  {begin}\n  {end}",
                         SourceLoc(str(path)), f"`segkit docs` writes {what} between them")
    return filled


def _mkdocs_yml(root: Path, block_items: list[str], gallery_items: list[str]) -> str:
    path = root / nav.FILE
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    for section, items in (("block reference", block_items), ("gallery", gallery_items)):
        filled = nav.fill(text, section, items)
        if filled is None:
            begin, end = nav.markers(section)
            raise InputError(f"mkdocs.yml's nav has no generated {section} section; add the lines\n  {begin}\n  {end}",
                             SourceLoc(str(path)), f"`segkit docs` writes the nav entries of the {section} between them")
        text = filled
    return text


def generate(root: Path, registry: Registry, group) -> Site:
    """All generated files for the checkout at ``root``; ``group`` is the click group
    whose commands the CLI reference documents."""
    return assemble(catalog.build(root, registry), root, registry, group)


def assemble(found: catalog.Catalog, root: Path, registry: Registry, group) -> Site:
    """The generated files for an analysed catalog (see :func:`generate`)."""
    site = Site()
    for spec in found.specs:
        site.pages[_docs(architectures.gallery_page(spec.name))] = gallery.page(spec, root)
        site.pictures[_docs(gallery.picture_path(spec.name))] = gallery.dot_source(spec)
        site.pages[_docs(gallery.explorer_path(spec.name))] = gallery.explorer(spec)
    block_pages = {dist: [blocks.page_path(dist)] for dist in sorted(found.missing)}
    for dist in found.documented:
        made = blocks.pages(dist, registry, root)
        site.pages.update({_docs(path): text for path, text in made.items()})
        block_pages[dist] = list(made)
    block_pages = {dist: block_pages[dist] for dist in sorted(block_pages, key=lambda d: (d != "segkit", d))}
    site.pages[_docs(cli_ref.PAGE)] = cli_ref.page(group)
    whole = {
        _docs(architectures.PAGE): lambda: architectures.page(found),
        _docs(architectures.GALLERY_INDEX): lambda: architectures.gallery_index(found),
        README: lambda: fill_section(root, README, "architectures",
                                     architectures.summary_table(found, README, prefix="docs/"),
                                     "the table of architectures"),
    }
    site.pages[_docs(encoders.PAGE)] = fill_section(root, _docs(encoders.PAGE), encoders.SECTION,
                                                    encoders.section(encoder_data.load(root)), "the table of encoders")
    site.pages[nav.FILE] = _mkdocs_yml(root, nav.block_items(block_pages), nav.gallery_items(found))
    for dist, names in found.missing.items():
        site.kept.add(_docs(blocks.page_path(dist)))
        if names:  # the tables list its specs too
            site.kept |= set(whole)
        for name in names:
            site.kept |= {_docs(architectures.gallery_page(name)), _docs(gallery.picture_path(name)),
                          _docs(gallery.explorer_path(name))}
        site.notes.append(f"plugin {dist} is not loaded (pip install -e plugins/{dist}): kept its pages"
                          + (", the architecture table, the gallery index and README" if names else "")
                          + " as they are")
    for path, make in whole.items():
        if path not in site.kept:
            site.pages[path] = make()
    return site

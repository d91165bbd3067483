"""The architecture table (every row of the data file next to segkit's own figures), the
gallery's index, and README's table of shipped architectures.

segkit's parameters and GMACs are computed when the page is generated, so they cannot go
stale; the reference figures, their sources and the notes come from the data file.
"""
from __future__ import annotations

from segkit.docgen.catalog import Catalog, Measured, SpecDoc, describe_inputs
from segkit.docgen.markdown import code, gmacs, link, prose, table
from segkit.docgen.refdata import DATA_FILE, describe

PAGE = "architectures.md"
GALLERY_INDEX = "gallery/index.md"
GROUPS = ("Architectures of the literature", "Backbones", "torchvision reference models", "From plugins")


def gallery_page(name: str) -> str:
    return f"gallery/{name}.md"


def group(spec: SpecDoc) -> str:
    """Which section of the tables ``spec`` belongs in."""
    if spec.dist != "segkit":
        return GROUPS[3]
    if spec.name.startswith("backbones/"):
        return GROUPS[1]
    return GROUPS[2] if spec.name.startswith("torchvision/") else GROUPS[0]


def _ref_params(m: Measured) -> str:
    if m.row.ref_params is None:
        return ""
    diff = m.params - m.row.ref_params
    return f"{m.row.ref_params:,}" + ("" if diff == 0 else f" (segkit {diff:+,})")


def _ref_gmacs(m: Measured) -> str:
    if m.row.ref_gmacs is None:
        return ""
    return f"{m.row.ref_gmacs:g}" + ("" if m.gmacs_match else " (differs)")


def _explained(m: Measured) -> str:
    parts = [m.row.note] if m.row.note else []
    if m.row.source:
        parts.append(f"Source: {m.row.source}.")
    return prose(" ".join(parts))


ROW_HEADER = ["build @ input", "params", "reference params", "GMACs", "reference GMACs", "notes"]


def row_cells(m: Measured) -> list[str]:
    return [f"{code(describe(m.row))} @ {m.input}", f"{m.params:,}", _ref_params(m), gmacs(m.macs), _ref_gmacs(m),
            _explained(m)]


def wide(markdown_table: str, css_class: str = "rows-table") -> str:
    """A table in a ``div`` of ``css_class``, which the site's CSS lays out: with room for
    the notes on a wide screen, as one labelled card per row on a phone."""
    return f'<div class="{css_class}" markdown="1">\n\n{markdown_table}\n</div>\n'


FULL_WIDTH = "---\nhide:\n  - toc\n---\n"
"""Front matter of the pages of wide tables: no table of contents beside them."""


def rows_table(spec: SpecDoc) -> str:
    """The data file's rows of one spec, with segkit's figures (used on its gallery page)."""
    return wide(table(ROW_HEADER, [row_cells(m) for m in spec.rows], "lrrrrl"))


def page(catalog: Catalog) -> str:
    """The architecture table page: every row of every shipped spec, by group."""
    lines = [FULL_WIDTH + "# Architectures", "",
             "Every shipped spec, built as each row says, with segkit's parameters and GMACs next to "
             "the paper's, the official code's or torchvision's. segkit's figures are computed by "
             "`segkit docs` when it writes this page; the reference figures, their sources and the "
             f"notes that explain every difference are hand-written in `{DATA_FILE.as_posix()}`. "
             f"Each spec's [gallery page]({GALLERY_INDEX}) has its graph, shape table and citation.", "",
             f"Conventions: {prose(catalog.data.conventions)}", ""]
    for title in GROUPS:
        specs = [s for s in catalog.specs if group(s) == title]
        if not specs:
            continue
        rows = [[link(s.name, gallery_page(s.name), PAGE), *row_cells(m)] for s in specs for m in s.rows]
        lines += [f"## {title}", "", wide(table(["spec", *ROW_HEADER], rows, "llrrrrl"))]
    return "\n".join(lines)


def summary_table(catalog: Catalog, start: str, prefix: str = "") -> str:
    """One line per spec: paper, and parameters and GMACs as ``segkit check NAME`` reports
    them; links from the page ``start`` (``prefix`` prepended to targets outside docs/)."""
    rows = []
    for title in GROUPS:
        for s in (s for s in catalog.specs if group(s) == title):
            name = link(s.name, prefix + gallery_page(s.name), start)
            if s.dist != "segkit":
                name += f" ({s.dist} plugin)"
            inputs = describe_inputs(s.report.input_shapes)
            rows.append([name, prose(s.entry.citation), f"{s.report.params:,}", f"{gmacs(s.report.macs)} @ {inputs}"])
    return table(["spec", "paper", "params", "GMACs @ input"], rows, "llrl")


def gallery_index(catalog: Catalog) -> str:
    """The gallery's index: one line and a link per shipped spec."""
    return "\n".join([FULL_WIDTH + "# Gallery", "",
                      "One page per shipped spec: the graph, the shape table at the spec's example input, "
                      "the parameters and GMACs against the reference, and the citation. The figures below are "
                      "the spec's defaults at its example input, as `segkit check NAME` prints them "
                      f"(training-only heads included); the [architecture table](../{PAGE}) has more builds.", "",
                      wide(summary_table(catalog, GALLERY_INDEX), "summary-table")])

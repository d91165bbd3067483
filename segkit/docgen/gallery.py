"""The gallery page of one shipped spec: citation, description, a picture of the graph
(collapsed view, rendered from segkit's DOT), the spec's params, the shape table at its
example input, and its rows of the architecture table."""
from __future__ import annotations

import posixpath
from pathlib import Path

from segkit.docgen.architectures import PAGE as TABLE_PAGE
from segkit.docgen.architectures import gallery_page, rows_table
from segkit.docgen.catalog import SpecDoc, describe_inputs
from segkit.docgen.markdown import code, link, prose, shown_path, table
from segkit.lang.comments import param_docs
from segkit.lang.schema import load_spec
from segkit.views.graph_drawing import to_dot
from segkit.views.tables import ALIGN, COLUMNS, outputs_text, row_cells, total_cells


def picture_path(name: str) -> str:
    return f"gallery/{name}.svg"


def dot_source(spec: SpecDoc) -> str:
    """DOT text of the spec's graph at its example input, composite blocks collapsed."""
    return to_dot(spec.report.graph, expand=False)


def _params(loaded) -> str:
    docs = param_docs(loaded)
    if not loaded.params:
        return "No params.\n"
    return table(["param", "default", "doc"],
                 [[code(k), code(v), prose(docs.get(k, ""))] for k, v in loaded.params.items()])


def _shapes(spec: SpecDoc) -> str:
    report = spec.report
    rows = [row_cells(r, code) for r in report.rows] + [total_cells(report)]
    return (table(list(COLUMNS), rows, ALIGN)
            + f"\nOutputs: {outputs_text(report, code)}.\n\nAccepted input sizes: {report.describe_sizes()}.\n")


def page(spec: SpecDoc, root: Path) -> str:
    """The gallery page of ``spec``."""
    name, entry, report, loaded = spec.name, spec.entry, spec.report, load_spec(spec.path)
    start = gallery_page(name)
    inputs = describe_inputs(report.input_shapes)
    cited = f"**Paper:** {prose(entry.citation)}." + (f" **Reported:** {prose(entry.result)}." if entry.result else "")
    shipped = "segkit" if spec.dist == "segkit" else f"the {spec.dist} plugin"
    lines = [f"# {name}", "", cited, "",
             f"`segkit build {name}` builds it; the spec is `{shown_path(spec.path, root)}` "
             f"(spec name {code(report.graph.name)}, shipped by {shipped}).", "",
             prose(loaded.description), "",
             f"![graph of {name}]({posixpath.basename(picture_path(name))})", "",
             f"The graph at input {inputs}, composite blocks collapsed "
             f"(`segkit graph {name} -o {name.split('/')[-1]}.svg`; `--expand` draws every primitive node).", "",
             "## Params", "", "Defaults; override with `--set name=value`.", "", _params(loaded),
             f"## Shapes at {inputs}", "",
             f"The spec's example input, training-only outputs included; `segkit check {name}` prints this table.", "",
             _shapes(spec),
             "## Parameters and GMACs against the reference", "",
             f"From the {link('architecture table', TABLE_PAGE, start)}, where the conventions are stated.", "",
             rows_table(spec)]
    return "\n".join(lines)

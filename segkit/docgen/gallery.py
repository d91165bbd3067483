"""The gallery page of one shipped spec: citation, description, the graph (the interactive
page of ``segkit graph -o x.html`` in a frame, and a picture rendered from segkit's DOT,
collapsed view, that scrolls rather than shrinks), the spec's params, the shape table at its
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
from segkit.views.graph_explorer import to_html
from segkit.views.tables import ALIGN, COLUMNS, outputs_text, row_cells, total_cells


def picture_path(name: str) -> str:
    return f"gallery/{name}.svg"


def explorer_path(name: str) -> str:
    return f"gallery/{name}.graph.html"


def explorer(spec: SpecDoc) -> str:
    """The interactive page of the spec's graph (``segkit graph NAME -o NAME.html``)."""
    return to_html(spec.report)


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
    picture, explorer, short = (posixpath.basename(picture_path(name)), posixpath.basename(explorer_path(name)),
                                name.split("/")[-1])
    start = gallery_page(name)
    inputs = describe_inputs(report.input_shapes)
    cited = f"**Paper:** {prose(entry.citation)}." + (f" **Reported:** {prose(entry.result)}." if entry.result else "")
    shipped = "segkit" if spec.dist == "segkit" else f"the {spec.dist} plugin"
    lines = [f"# {name}", "", cited, "",
             f"`segkit build {name}` builds it; the spec is `{shown_path(spec.path, root)}` "
             f"(spec name {code(report.graph.name)}, shipped by {shipped}).", "",
             prose(loaded.description), "",
             "## Graph", "",
             f'<iframe class="graph-explorer" src="{explorer}" title="interactive graph of {name}" '
             'loading="lazy"></iframe>', "",
             f"The graph at input {inputs}: click a box for its shape, stride, receptive field, params and MACs "
             "and the path that feeds it; + expands a composite block; drag to pan, Ctrl+wheel to zoom "
             f"([full screen]({explorer}), `segkit graph {name} -o {short}.html`).", "",
             f'<div class="graph-scroll" markdown="1">\n\n[![graph of {name}]({picture})]({picture})\n\n</div>', "",
             f"The same graph drawn by Graphviz, composite blocks collapsed ([full size]({picture}), "
             f"`segkit graph {name} -o {short}.svg`; `--expand` draws every primitive node).", "",
             "## Params", "", "Defaults; override with `--set name=value`.", "", _params(loaded),
             f"## Shapes at {inputs}", "",
             f"The spec's example input, training-only outputs included; `segkit check {name}` prints this table.", "",
             _shapes(spec),
             "## Parameters and GMACs against the reference", "",
             f"From the {link('architecture table', TABLE_PAGE, start)}, where the conventions are stated.", "",
             rows_table(spec)]
    return "\n".join(lines)

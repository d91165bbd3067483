"""Rich tables for the CLI: the per-node report and block documentation. The report's
cells (``row_cells``, ``total_cells``, ``outputs_text``) are also those of the docs'
gallery pages, so a page shows what ``segkit check`` prints."""
from __future__ import annotations

import re

from pydantic_core import PydanticUndefined
from rich.markup import escape
from rich.table import Table

from segkit.analysis.report import Report, Row
from segkit.core.field_docs import field_docs
from segkit.lang.comments import param_docs
from segkit.lang.composite import CompositeBlock


def human(n: int) -> str:
    """12,345,678 -> '12.35M'."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f}{unit}"
    return str(n)


COLUMNS = ("node", "block", "output shape", "stride", "receptive field", "params", "MACs")
ALIGN = "lllrrrr"
"""Per column of the report table: left, or right (the numbers)."""


def row_cells(row: Row, name=str) -> list[str]:
    """One report row's cells as text, ``name`` applied to the node id and block name
    (the docs' gallery shows them as code)."""
    return [name(row.id), name(row.block), row.shape, row.stride, row.receptive_field, f"{row.params:,}",
            human(row.macs)]


def total_cells(report: Report) -> list[str]:
    return ["total", "", "", "", "", f"{report.params:,}", human(report.macs)]


def outputs_text(report: Report, name=str) -> str:
    """``out: 21x512x512, aux: 21x64x64 (training only)``, ``name`` applied to the names."""
    train = report.graph.train_outputs
    return ", ".join(f"{name(k)}: {v}" + (" (training only)" if k in train else "") for k, v in report.outputs.items())


def report_table(report: Report, expand: bool = False) -> Table:
    title = f"{report.graph.name}  " + ", ".join(f"{k}: {v}" for k, v in report.input_shapes.items())
    table = Table(title=title, title_justify="left", show_lines=False, pad_edge=False)
    for column, align in zip(COLUMNS, ALIGN):
        table.add_column(column, justify="right" if align == "r" else "left", no_wrap=column != "output shape")
    for row in report.nodes if expand else report.rows:
        node, *rest = (escape(cell) for cell in row_cells(row))
        table.add_row(("  " * row.depth if expand else "") + node, *rest)
    table.add_section()
    table.add_row(*total_cells(report))
    return table


def summary_lines(report: Report) -> list[str]:
    return [
        f"outputs: {outputs_text(report)}",
        f"params: {report.params:,}   MACs: {report.macs:,} ({report.macs / 1e9:.2f} G)",
        f"accepted input sizes: {report.describe_sizes()}",
    ]


def blocks_table(registry) -> Table:
    table = Table(title="registered blocks", title_justify="left")
    table.add_column("block", no_wrap=True)
    table.add_column("from", no_wrap=True)
    table.add_column("params")
    for name, entry in sorted(registry.blocks.items()):
        fields = block_fields(entry.obj)
        params = ", ".join(f"{f}={d}" if d != "required" else f for f, _, d, _ in fields)
        table.add_row(name, entry.dist, escape(params))
    return table


def block_fields(block) -> list[tuple[str, str, str, str]]:
    """(name, type, default, doc) of each param of a Python or composite block."""
    if isinstance(block, CompositeBlock):
        docs = param_docs(block.spec)
        return [(k, type(v).__name__, repr(v), docs[k]) for k, v in block.spec.params.items()]
    out = []
    docs = field_docs(block.Params)
    for name, info in block.Params.model_fields.items():
        default = "required" if info.default is PydanticUndefined and info.default_factory is None else repr(info.default)
        out.append((name, type_name(info.annotation), default, docs.get(name, "")))
    return out


def type_name(annotation) -> str:
    """Readable type of a params field: ``int | list[int]``, ``'bn' | 'none'``."""
    import types
    import typing

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(dict.fromkeys(type_name(a) for a in args))
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin is not None:
        return f"{getattr(origin, '__name__', origin)}[{', '.join(type_name(a) for a in args)}]"
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", str(annotation))


ABBREVIATIONS = {"al", "Sec", "Secs", "Fig", "Figs", "Eq", "Tab", "vs", "cf", "e.g", "i.e", "etc", "No"}


def summary(doc: str) -> str:
    """The first sentence of a block's doc (not cut at "et al.", "Sec. 3" or "Fig. 2"),
    for the title of ``segkit blocks NAME`` and the docs' block lists."""
    text = " ".join(doc.split())
    for stop in re.finditer(r"\.\s+(?=[A-Z(`])", text):
        word = re.search(r"[\w.]*$", text[:stop.start()]).group()
        if word not in ABBREVIATIONS and not text[:stop.start()].endswith("."):
            return text[:stop.start() + 1]
    return text


def block_doc_table(name: str, block) -> Table:
    """One row per param: name, type, default, doc (long defaults and docs wrap). The
    table spans the terminal, so the title (the doc's first sentence) does not wrap to
    the width of a narrow table (a block without params)."""
    first = summary(block.doc) if block.doc else ""
    table = Table(title=f"{name}: {first}" if first else name, title_justify="left", show_lines=False, expand=True)
    table.add_column("param", no_wrap=True, style="bold")
    table.add_column("type", no_wrap=True)
    table.add_column("default", overflow="fold", max_width=28)
    table.add_column("doc", overflow="fold", ratio=1)
    for field_name, kind, default, doc in block_fields(block):
        table.add_row(field_name, escape(kind), escape(default), escape(doc))
    return table

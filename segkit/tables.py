"""Rich tables for the CLI: the per-node report and block documentation."""
from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from segkit.report import Report


def human(n: int) -> str:
    """12,345,678 -> '12.35M'."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f}{unit}"
    return str(n)


def report_table(report: Report, expand: bool = False) -> Table:
    title = f"{report.graph.name}  " + ", ".join(f"{k}: {v}" for k, v in report.input_shapes.items())
    table = Table(title=title, title_justify="left", show_lines=False, pad_edge=False)
    for name, justify in (("node", "left"), ("block", "left"), ("output shape", "left"), ("stride", "right"),
                          ("receptive field", "right"), ("params", "right"), ("MACs", "right")):
        table.add_column(name, justify=justify, no_wrap=name != "output shape")
    rows = report.nodes if expand else report.rows
    for row in rows:
        indent = "  " * row.depth if expand else ""
        table.add_row(indent + row.id, row.block, escape(row.shape), row.stride, row.receptive_field,
                      f"{row.params:,}", human(row.macs))
    table.add_section()
    table.add_row("total", "", "", "", "", f"{report.params:,}", human(report.macs))
    return table


def summary_lines(report: Report) -> list[str]:
    train = report.graph.train_outputs
    outs = ", ".join(f"{k}: {v}" + (" (training only)" if k in train else "") for k, v in report.outputs.items())
    return [
        f"outputs: {outs}",
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
    from pydantic_core import PydanticUndefined

    from segkit.registry import CompositeBlock

    if isinstance(block, CompositeBlock):
        from segkit.spec.comments import param_docs

        docs = param_docs(block.spec)
        return [(k, type(v).__name__, repr(v), docs[k]) for k, v in block.spec.params.items()]
    out = []
    for name, info in block.Params.model_fields.items():
        default = "required" if info.default is PydanticUndefined and info.default_factory is None else repr(info.default)
        out.append((name, type_name(info.annotation), default, info.description or ""))
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


def block_doc_table(name: str, block) -> Table:
    """One row per param: name, type, default, doc (long defaults and docs wrap)."""
    first = " ".join(block.doc.split()).split(". ")[0] if block.doc else ""
    table = Table(title=f"{name}: {first}" if first else name, title_justify="left", show_lines=False)
    table.add_column("param", no_wrap=True, style="bold")
    table.add_column("type", no_wrap=True)
    table.add_column("default", overflow="fold", max_width=28)
    table.add_column("doc", overflow="fold", ratio=1)
    for field_name, kind, default, doc in block_fields(block):
        table.add_row(field_name, escape(kind), escape(default), escape(doc))
    return table

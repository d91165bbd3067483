"""The table of imported encoders in ``docs/encoders.md``: one row per model of the
survey, rendered from ``docs/encoders.json`` (:mod:`segkit.docgen.encoder_data`) between
the page's markers; the rest of the page is hand-written."""
from __future__ import annotations

from itertools import pairwise

from segkit.docgen.encoder_data import DATA_FILE, DataFile, Row
from segkit.docgen.markdown import code, gmacs, prose, table

PAGE = "encoders.md"
SECTION = "encoders"
HEADER = ["model", "params", "GMACs", "outputs (strides)", "channels", "accepted input sizes", "exact"]


def _outputs(row: Row) -> str:
    """``c1..c5 (2, 4, 8, 16, 32)`` where each stride doubles the last, else every name."""
    names, strides = [o.name for o in row.outputs], [o.stride for o in row.outputs]
    doubling = len(names) > 2 and all(b == 2 * a for a, b in pairwise(strides))
    return f"{f'{names[0]}..{names[-1]}' if doubling else ', '.join(names)} ({', '.join(map(str, strides))})"


def _exact(row: Row) -> str:
    if row.exact:
        return "yes" if row.max_abs_diff == 0 else f"yes (max abs diff {row.max_abs_diff:.1g})"
    if not row.params_match:
        return "no: the parameter counts differ"
    return f"no: max abs diff {row.max_abs_diff:.3g}"


def _cells(row: Row) -> list[str]:
    if row.refused:
        return [code(row.source), "—", "—", "—", "—", "—", f"no: refused, {prose(row.refused)}"]
    return [code(row.source), f"{row.params:,}", gmacs(row.macs), _outputs(row),
            ", ".join(str(o.channels) for o in row.outputs), prose(row.sizes), _exact(row)]


def section(data: DataFile) -> str:
    """The generated part of the page: what the rows were measured with, and the table."""
    libraries = ", ".join(f"{name} {version}" for name, version in data.versions.items())
    return (f"Measured at {data.input} with {libraries} by `python -m segkit.docgen.encoder_survey`, "
            f"which writes `{DATA_FILE.as_posix()}`; `segkit docs` renders this table from it.\n\n"
            + table(HEADER, [_cells(row) for row in data.rows], "lrrllll"))

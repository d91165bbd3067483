"""Import every model of the encoder survey, measure it and write ``docs/encoders.json``::

    python -m segkit.docgen.encoder_survey [SOURCE ...]

All of ``SURVEY`` (about half an hour on a CPU), or only the named rows, which then must be
measured with the library versions the file records. Needs timm and torchvision. Each
row holds what ``segkit check`` reports for the imported spec at ``INPUT``, whether its
outputs equal the source's (:mod:`segkit.docgen.exactness`), or the error of a refused
import, so a rerun after the importer learns a model updates its row.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from segkit.api import check
from segkit.core.shape import Shape
from segkit.docgen.encoder_data import DATA_FILE, INPUT, SURVEY, DataFile, Output, Row, dump, load
from segkit.docgen.exactness import compare
from segkit.errors import SegkitError
from segkit.importer.sources import load_source
from segkit.importer.strides import nominal_stride

# torch, timm and torchvision are imported inside functions, so that importing docgen stays torch-free.


def measure(source: str) -> Row:
    """The row of ``source``: imported at ``INPUT``, counted and compared with the source."""
    size = Shape.parse(INPUT)
    try:
        module = load_source(source, input_size=size.spatial)
        diff, params_match, imported = compare(module, INPUT, name=source.partition(":")[2])
    except SegkitError as exc:
        return Row(source=source, refused=exc.format().splitlines()[0])
    report = check(imported.spec, INPUT)
    outputs = tuple(Output(name=name, stride=nominal_stride(size.spatial, shape.spatial), channels=shape.channels)
                    for name, shape in report.outputs.items())
    return Row(source=source, params=report.params, macs=report.macs, outputs=outputs,
               sizes=report.describe_sizes(), max_abs_diff=diff, params_match=params_match)


def versions() -> dict[str, str]:
    """The versions of the libraries a measurement depends on."""
    import timm
    import torch
    import torchvision

    return {"torch": torch.__version__, "torchvision": torchvision.__version__, "timm": timm.__version__}


def survey(root: Path, sources: list[str]) -> DataFile:
    """The data file with the rows of ``sources`` measured anew, the others kept; a
    partial rerun under other library versions than the file's is refused, so that
    every row of the file is measured with the versions it states."""
    now, rows = versions(), {}
    if not set(sources) >= set(SURVEY):
        recorded = load(root)
        if recorded.versions != now:
            raise SystemExit(f"{DATA_FILE} was measured with {recorded.versions}, this is {now}: rerun every model")
        rows = {r.source: r for r in recorded.rows}
    for source in sources:
        rows[source] = measure(source)
        print(f"{source}: {_summary(rows[source])}", file=sys.stderr, flush=True)
    order = list(SURVEY) + sorted(set(rows) - set(SURVEY))
    return DataFile(input=INPUT, versions=now, rows=tuple(rows[s] for s in order if s in rows))


def _summary(row: Row) -> str:
    if row.refused:
        return f"refused: {row.refused}"
    return f"{row.params:,} params, max abs diff {row.max_abs_diff:g}" + ("" if row.params_match else ", params differ")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="*", default=list(SURVEY), metavar="SOURCE",
                        help="timm:NAME or torchvision:NAME (default: the whole survey)")
    parser.add_argument("--root", type=Path, default=Path("."), help="the segkit checkout")
    args = parser.parse_args(argv)
    (args.root / DATA_FILE).write_text(dump(survey(args.root, args.sources)), encoding="utf-8")
    print(f"wrote {DATA_FILE}; run `segkit docs` to render the table", file=sys.stderr)


if __name__ == "__main__":
    main()

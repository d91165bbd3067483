"""Which specs the docs describe, and segkit's figures for every row of the data file.

The documented distributions are segkit and the plugin packages in the checkout's
``plugins/`` folder, each in a folder named after its distribution. A shipped spec is a
registered spec of one of them (the ``examples/`` specs are not architectures). A plugin
of the checkout that is not installed (or not allowed by ``SEGKIT_PLUGINS``) cannot be
analysed: its pages are kept as they are and the caller says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from segkit import api
from segkit.analysis.report import Report
from segkit.docgen import refdata
from segkit.errors import InputError, SegkitError
from segkit.plugins.registry import Registry


@dataclass
class Measured:
    """A data-file row with segkit's parameters and MACs for its build."""

    row: refdata.Row
    params: int
    macs: int
    input: str

    @property
    def params_match(self) -> bool | None:
        return None if self.row.ref_params is None else self.params == self.row.ref_params

    @property
    def gmacs_match(self) -> bool | None:
        ref = self.row.ref_gmacs
        if ref is None:
            return None
        digits = len(repr(float(ref)).partition(".")[2])
        return round(self.macs / 1e9, digits) == round(ref, digits)


@dataclass
class SpecDoc:
    """One shipped spec: its entry in the data file, default report and measured rows."""

    name: str
    dist: str
    path: Path
    entry: refdata.Entry
    report: Report
    rows: list[Measured]


@dataclass
class Catalog:
    """The analysed shipped specs and the data file, as the page generators need them."""

    specs: list[SpecDoc]
    data: refdata.DataFile
    documented: list[str]
    """segkit and the loaded plugins of the checkout."""
    missing: dict[str, list[str]] = field(default_factory=dict)
    """Plugins of the checkout that are not loaded -> their specs named in the data file."""


def describe_inputs(shapes: dict) -> str:
    """``3x512x512``, or ``rgb 3x352x352, depth 1x352x352`` for several inputs."""
    if len(shapes) == 1:
        return str(next(iter(shapes.values())))
    return ", ".join(f"{name} {shape}" for name, shape in shapes.items())


def repo_plugins(root: Path) -> list[str]:
    """Distribution names of the plugin packages in ``root/plugins/NAME/``."""
    return [project.parent.name for project in sorted((root / "plugins").glob("*/pyproject.toml"))]


def loaded_dists(registry: Registry) -> set[str]:
    """Distributions whose plugins ``registry`` loaded (segkit's built-ins included)."""
    return set(registry.plugins.dists.values()) if registry.plugins else {"segkit"}


def shipped_specs(root: Path, registry: Registry) -> dict[str, str]:
    """Registered spec name -> distribution, for segkit's and the checkout's plugins' specs."""
    dists = {"segkit", *repo_plugins(root)}
    return {name: e.dist for name, e in sorted(registry.specs.items())
            if e.dist in dists and not name.startswith("examples/")}


def build(root: Path, registry: Registry) -> Catalog:
    """Validate the data file against the shipped specs, then analyse every spec and row."""
    data, locs = refdata.load(root)
    shipped = shipped_specs(root, registry)
    absent = set(repo_plugins(root)) - loaded_dists(registry)
    missing: dict[str, list[str]] = {dist: [] for dist in sorted(absent)}
    for name, entry in data.specs.items():
        loc = locs.at(("specs", name))
        if entry.plugin in absent:
            missing.setdefault(entry.plugin, []).append(name)
        elif name not in shipped:
            raise InputError(f"{refdata.DATA_FILE} names spec {name!r}, which does not exist", loc,
                             "`segkit specs` lists the registered specs; remove or rename the entry")
        elif shipped[name] != entry.plugin:
            raise InputError(f"spec {name!r} is shipped by {shipped[name]}, not {entry.plugin}", loc,
                             f"set `plugin: {shipped[name]}` in its entry")
    unlisted = [name for name in shipped if name not in data.specs]
    if unlisted:
        raise InputError(f"shipped specs without an entry in {refdata.DATA_FILE}: {', '.join(unlisted)}",
                         locs.at(("specs",)), "add each with its citation and at least one row "
                         "(reference figures may be null, with a note saying why)")
    specs = []
    for name, entry in data.specs.items():
        if entry.plugin in absent:
            continue
        path = registry.spec_path(name)
        report = api.check(name, None, registry)
        rows = [_measure(name, row, registry, locs, ("specs", name, "rows", i), report)
                for i, row in enumerate(entry.rows)]
        specs.append(SpecDoc(name, shipped[name], path, entry, report, rows))
    documented = ["segkit", *(d for d in repo_plugins(root) if d not in absent)]
    return Catalog(specs, data, documented, missing)


def _measure(name: str, row: refdata.Row, registry: Registry, locs, where: tuple, default: Report) -> Measured:
    """segkit's figures for ``row``: the spec's ``default`` report where the row is the
    default build (no set, input or inference), else a check of its own."""
    report = default
    if row.sets or row.input is not None or row.inference:
        try:
            report = api.check(name, row.input, registry, train_heads=not row.inference, **row.sets)
        except SegkitError as exc:
            exc.notes.append(f"while measuring {locs.at(where)} (spec {name!r}, {refdata.describe(row)})")
            raise
    measured = Measured(row, report.params, report.macs, describe_inputs(report.input_shapes))
    if not row.note and False in (measured.params_match, measured.gmacs_match):
        raise InputError(f"spec {name!r} ({refdata.describe(row)}) differs from its reference and has no note",
                         locs.at(where), f"segkit: {report.params:,} parameters, {report.macs / 1e9:.2f} GMACs; "
                         "explain the difference in `note`, or fix the spec")
    if not row.note and row.ref_params is None and row.ref_gmacs is None:
        raise InputError(f"spec {name!r} ({refdata.describe(row)}) has no reference figures and no note",
                         locs.at(where), "say in `note` why there is no reference")
    return measured

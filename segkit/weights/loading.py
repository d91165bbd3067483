"""Loading weights into compiled specs: ``load_weights(model, source, format=...)``.

A *weight format* maps the keys of a state dict written by another code base onto the
keys of a segkit module (which follow the spec's node ids). It is any object with a
``name`` and either

- ``map_key(key) -> str | None``: the model key for one source key (None: drop it on
  purpose; it is reported as skipped, not as unexpected), or
- ``convert(state_dict, model_keys) -> state_dict``: the whole state dict renamed (and
  transformed, if need be); ``model_keys`` maps every key of the model to its shape. The
  result may carry a ``skipped`` list attribute (see
  :class:`segkit.weights.formats.Converted`).

Built-ins (:mod:`segkit.weights.formats`): ``segkit`` (identity; also reads the
checkpoints of ``segkit build --save`` and ``segkit train``), ``torchvision`` (its
ResNet, VGG16, MobileNetV2/V3, DenseNet, FCN, DeepLab v3 and LR-ASPP modules onto the
resnet / mobilenetv3 blocks, the backbone specs and the specs in ``specs/torchvision``)
and ``timm`` (ResNets, aligned Xception-65). Plugins add formats through the
``segkit_register_weight_formats`` hook. Importing this module does not import torch.
"""
from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from segkit.errors import InputError, SegkitError, SourceLoc

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.


SHOWN = 3
"""Offending keys named per category in error messages and summaries."""
WRAPPERS = ("state_dict", "model", "model_state", "module")
"""Keys under which checkpoints of other tools keep the state dict."""


@dataclass
class LoadReport:
    """What :func:`load_weights` did: counts and the keys that did not fit."""

    source: str
    """The file (or ``<state_dict>``)."""
    format: str
    mapped: int = 0
    """Tensors loaded into the model."""
    missing: list[str] = field(default_factory=list)
    """Model keys the source has no tensor for."""
    unexpected: list[str] = field(default_factory=list)
    """Source keys (as the format renamed them) the model does not have."""
    mismatched: list[tuple[str, tuple, tuple]] = field(default_factory=list)
    """(model key, shape in the source, shape in the model)."""
    skipped: list[str] = field(default_factory=list)
    """Source keys dropped on purpose (``ignore`` patterns, the format's classifier heads)."""
    spec: str | None = None
    """The spec a segkit checkpoint was written for, when it says."""

    @property
    def ok(self) -> bool:
        """Every model key got a tensor of the right shape, and nothing was left over."""
        return not (self.missing or self.unexpected or self.mismatched)

    def problems(self) -> list[str]:
        """One line per kind of misfit, with the first few keys."""
        lines = []
        mismatched = [f"{k} {_shape(a)} in the file vs {_shape(b)} in the model" for k, a, b in self.mismatched]
        mismatch = "shape mismatch" + ("es" if len(mismatched) > 1 else "")
        for label, items in (("missing", self.missing), ("unexpected", self.unexpected), (mismatch, mismatched)):
            if items:
                more = f" (+{len(items) - SHOWN} more)" if len(items) > SHOWN else ""
                lines.append(f"{len(items)} {label}: {', '.join(items[:SHOWN])}{more}")
        return lines

    def summary(self) -> str:
        """A few lines for people: counts, then the first offending keys."""
        text = (f"loaded {self.mapped} tensors from {self.source} (format {self.format}): "
                f"{len(self.missing)} missing, {len(self.unexpected)} unexpected, "
                f"{len(self.mismatched)} wrong shape")
        if self.skipped:
            text += f", {len(self.skipped)} skipped"
        return "\n".join([text] + [f"  {line}" for line in self.problems()])

    def __str__(self) -> str:
        return self.summary()


def load_weights(model, source, format="segkit", strict: bool = True, *, ignore=(), registry=None,
                 source_name: str | None = None) -> LoadReport:
    """Load ``source`` (a file, a state dict, or a module) into ``model`` through the
    weight ``format`` (a registered name or a format object).

    ``ignore``: glob patterns of keys to leave out (e.g. ``"fc.*"``), matched against
    the source's keys and, for keys the model lacks, the format's renamed ones. With
    ``strict`` (default) any missing, unexpected or shape-mismatched key raises an
    InputError located at the file and loads nothing; otherwise the tensors that fit are
    loaded and the report lists the rest. A source of which nothing fits is an error
    either way. ``registry`` finds a ``format`` given by name; ``source_name`` names a
    state dict (e.g. the checkpoint file it came from) in messages.
    """
    name, loc = _describe(source_name or source)
    fmt = _format(format, registry)
    raw, spec = read_state_dict(source, loc)
    own = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    report = LoadReport(name, getattr(fmt, "name", type(fmt).__name__), spec=spec)
    kept = {}
    for key, value in raw.items():
        if _matches(key, ignore) or not _is_tensor(value):
            report.skipped.append(key)
        else:
            kept[key] = value
    converted = _convert(fmt, kept, own, report, loc)
    load = {}
    for key, value in converted.items():
        if key not in own and _matches(key, ignore):
            report.skipped.append(key)
        elif key not in own:
            report.unexpected.append(key)
        elif tuple(value.shape) != own[key]:
            report.mismatched.append((key, tuple(value.shape), own[key]))
        else:
            load[key] = value
    report.missing = [k for k in own if k not in converted]
    report.mapped = len(load)
    if not load and own:
        raise InputError(f"no tensor of {name} fits the model (format {report.format})", loc,
                         _hint(report, raw, own, registry) or "is it a checkpoint of this network?")
    if strict and not report.ok:
        raise InputError("weights do not fit this model: " + "; ".join(report.problems()), loc,
                         _hint(report, raw, own, registry))
    model.load_state_dict(load, strict=False)
    return report


def read_state_dict(source, loc: SourceLoc | None = None) -> tuple[dict, str | None]:
    """``(state dict, spec name or None)`` of a file, a mapping or a module; a checkpoint
    dict is unwrapped (``state_dict``, ``model``, ...). InputError naming the file when
    it is missing, unreadable, or holds no tensors."""
    loc = loc or _describe(source)[1]
    if hasattr(source, "state_dict") and callable(source.state_dict):
        return dict(source.state_dict()), None
    if isinstance(source, Mapping):
        data = source
    else:
        data = _read_file(Path(source), loc)
    if not isinstance(data, Mapping):
        raise InputError(f"not a state dict (a {type(data).__name__})", loc,
                         "save weights with torch.save(model.state_dict(), path)")
    spec = data.get("spec") if isinstance(data.get("spec"), str) else None
    for _ in range(3):  # nested wrappers: {"model": {"state_dict": ...}}
        if any(_is_tensor(v) for v in data.values()):
            break
        inner = next((data[k] for k in WRAPPERS if isinstance(data.get(k), Mapping)), None)
        if inner is None:
            break
        data = inner
    if not any(_is_tensor(v) for v in data.values()):
        keys = ", ".join(map(str, list(data)[:5])) or "none"
        raise InputError(f"no tensors in this file (top-level keys: {keys})", loc,
                         "give a state dict, or a checkpoint with a 'state_dict' or 'model' entry")
    return dict(data), spec


def _read_file(path: Path, loc: SourceLoc):
    import torch

    if not path.exists():
        raise InputError("weights file does not exist", loc)
    if not path.is_file():
        raise InputError("weights path is not a file", loc)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # zip/pickle errors of truncated or foreign files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read weights: {first}", loc,
                         "the file is truncated, corrupt or not a torch state dict") from None


def _describe(source) -> tuple[str, SourceLoc]:
    if isinstance(source, (str, Path)):
        return str(source), SourceLoc(str(source))
    return "<state_dict>", SourceLoc("<state_dict>")


def _format(format, registry):
    if not isinstance(format, str):
        if not (hasattr(format, "map_key") or hasattr(format, "convert")):
            raise TypeError("a weight format needs a map_key(key) or convert(state_dict, model_keys) method")
        return format
    if registry is None:
        raise InputError(f"weight format {format!r} is a name, and no registry was given to find it",
                         SourceLoc("--weights-format"), "pass registry= (segkit.load_weights supplies the installed one)")
    return registry.get("weight_format", format, SourceLoc("--weights-format"))


def _convert(fmt, state: dict, own: dict, report: LoadReport, loc: SourceLoc) -> dict:
    """Rename ``state`` through ``fmt``; keys the format drops go to ``report.skipped``,
    and two source keys renamed onto one model key are both reported."""
    try:
        if hasattr(fmt, "convert"):
            out = fmt.convert(state, own)
            report.skipped += list(getattr(out, "skipped", []))
            return dict(out)
        out, sources = {}, {}
        for key, value in state.items():
            target = fmt.map_key(key)
            if target is None:
                report.skipped.append(key)
            elif target in out:
                report.unexpected.append(f"{key} (renamed to {target}, which {sources[target]} already gives)")
            else:
                out[target], sources[target] = value, key
        return out
    except SegkitError:
        raise
    except Exception as exc:  # a broken plugin format: say which, in one line
        raise InputError(f"weight format {report.format!r} failed on this file: {type(exc).__name__}: {exc}",
                         loc) from None


def _hint(report: LoadReport, raw: dict, own: dict, registry) -> str | None:
    hints = []
    better = _better_format(report, raw, own, registry)
    if better:
        hints.append(f"format {better} fits more of the keys: try it (--weights-format {better})")
    if report.spec:
        hints.append(f"the checkpoint was written for spec {report.spec!r}")
    if report.mismatched and not (report.missing or report.unexpected):
        hints.append("same layout, other sizes: was it built with other --set values (e.g. num_classes)?")
    return "; ".join(hints) or None


def _better_format(report: LoadReport, raw: dict, own: dict, registry) -> str | None:
    """The registered format under which more source keys find a model key of their shape."""
    formats = [entry.obj for entry in registry.tables["weight_format"].values()] if registry is not None else []

    def fits(fmt) -> int:
        state = {k: v for k, v in raw.items() if _is_tensor(v)}
        try:
            out = fmt.convert(state, own) if hasattr(fmt, "convert") else {fmt.map_key(k): v for k, v in state.items()}
        except Exception:
            return 0
        return sum(1 for k, v in out.items() if k in own and tuple(v.shape) == own[k])

    best, best_fits = None, report.mapped
    for fmt in formats:
        if fmt.name != report.format and (n := fits(fmt)) > best_fits:
            best, best_fits = fmt.name, n
    return best


def _matches(key: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns)


def _is_tensor(value) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _shape(shape) -> str:
    return "x".join(map(str, shape)) if shape else "scalar"

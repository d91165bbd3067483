"""``--postprocess NAME[:K=V,...]`` of ``segkit predict`` and ``segkit eval``: a
registered post-processor (hook ``segkit_register_postprocessors``, e.g. segkit-crf's
dense CRF) applied to each image's final scores before the argmax.

A post-processor is called as ``post(logits, image) -> logits`` on batches: ``logits``
``N x C x H x W`` (the model's logits, or, under multi-scale/flip test-time augmentation,
the log of the averaged probabilities, which are logits too) and ``image``
``N x K x H x W``, the un-normalised input image in [0, 1] (the mean/std normalisation
undone, so colour-based refinements such as a CRF see real colours). Options after a
colon (``crf:iterations=5,theta_alpha=67``) are passed to the registered object's
``configure(**options)``, which returns the configured post-processor; values are read
as int, float, true/false/none or else text. A post-processor without ``configure``
takes no options.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from segkit.errors import InputError, SegkitError, SourceLoc

OPTION = "--postprocess"
PROBABILITY_FLOOR = 1e-12
"""Averaged TTA probabilities are floored here before the log, so a class that no variant
predicts gets a large negative logit instead of -inf."""


def parse_value(text: str):
    """``"5"`` -> 5, ``"0.5"`` -> 0.5, ``"true"`` -> True, ``"none"`` -> None, else the text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_postprocess(text: str) -> tuple[str, dict]:
    """``NAME[:K=V,...]`` -> ``(NAME, {K: value})``; InputError at --postprocess when malformed."""
    name, _, rest = text.strip().partition(":")
    options = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{OPTION} takes NAME[:key=value,...], got {text!r}", SourceLoc(OPTION),
                             f"e.g. {OPTION} crf:iterations=5,theta_alpha=67")
        options[key.strip()] = parse_value(value.strip())
    if not name.strip():
        raise InputError(f"{OPTION} needs a post-processor name, got {text!r}", SourceLoc(OPTION),
                         "`segkit plugins` lists the installed post-processors")
    return name.strip(), options


def load_postprocessor(text: str, registry) -> tuple[str, object]:
    """``(name, post-processor)`` for ``text``: the one ``registry`` has, configured with the
    options. Unknown names are a RegistryError with "did you mean"; bad options an InputError."""
    name, options = parse_postprocess(text)
    post = registry.get("postprocessor", name, SourceLoc(OPTION))
    if not options:
        return name, post
    loc = SourceLoc(f"{OPTION} {name}")
    configure = getattr(post, "configure", None)
    if configure is None:
        raise InputError(f"post-processor {name!r} takes no options, got {', '.join(options)}", loc,
                         f"use {OPTION} {name}")
    try:
        return name, configure(**options)
    except SegkitError:
        raise
    except (TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise InputError(f"post-processor {name!r} rejects its options: {exc}", loc) from None


@dataclass
class Postprocessed:
    """A :class:`~segkit.train.evaluation.Predictor` whose scores go through ``post`` with
    the un-normalised image (``x * std + mean``, clipped to [0, 1]); callable like the
    predictor (``N x K x H x W`` normalised images in, ``N x C x H x W`` logits out)."""

    predictor: object
    post: object
    mean: list
    std: list
    name: str

    @property
    def model(self):
        return self.predictor.model

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        scores = self.predictor(x)
        logits = scores.clamp_min(PROBABILITY_FLOOR).log() if self.predictor.returns_probabilities else scores
        shape = (1, -1) + (1,) * (x.dim() - 2)
        mean = torch.tensor(self.mean, dtype=x.dtype, device=x.device).view(shape)
        std = torch.tensor(self.std, dtype=x.dtype, device=x.device).view(shape)
        image = (x * std + mean).clamp_(0.0, 1.0)
        out = self.post(logits, image)
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != tuple(logits.shape):
            got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise InputError(f"post-processor {self.name!r} returned {got}, not logits of shape "
                             f"{tuple(logits.shape)}", SourceLoc(f"{OPTION} {self.name}"),
                             "a post-processor must return logits of its input's shape")
        return out

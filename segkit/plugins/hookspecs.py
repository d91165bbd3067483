"""pluggy hook specifications of segkit (project name ``segkit``).

Hooks are register-callback style: each receives a ``register`` function and calls it
once per thing it provides. Registration must be cheap: no torch import, no file
parsing; heavy work belongs in a block's ``build``.
"""
from __future__ import annotations

from typing import Callable

import pluggy

hookspec = pluggy.HookspecMarker("segkit")
hookimpl = pluggy.HookimplMarker("segkit")


@hookspec
def segkit_register_blocks(register: Callable) -> None:
    """Register blocks that spec nodes can call.

    ``register(block)`` takes a :class:`segkit.Block` subclass or instance (a Python
    block), or ``register(path, name=None)`` with a ``pathlib.Path`` to a YAML spec that
    becomes a composite block named after the file (or ``name``).
    """


@hookspec
def segkit_register_specs(register: Callable) -> None:
    """Register whole-network specs that commands accept by name.

    ``register(path, name=None)``: a ``pathlib.Path`` to a YAML spec, named after the
    file unless ``name`` is given; ``segkit build NAME`` then finds it.
    """


@hookspec
def segkit_register_datasets(register: Callable) -> None:
    """Register datasets that ``segkit train/eval --data NAME[:path]`` can read.

    ``register(dataset, name=None)``: a class or factory named by ``name`` or its
    ``name`` attribute; see :mod:`segkit.data` for the dataset protocol.
    """


@hookspec
def segkit_register_metrics(register: Callable) -> None:
    """Register evaluation metrics: ``register(metric, name=None)``; see :mod:`segkit.train.metrics`."""


@hookspec
def segkit_register_losses(register: Callable) -> None:
    """Register training losses: ``register(loss, name=None)``; see :mod:`segkit.train.losses`."""


@hookspec
def segkit_register_weight_formats(register: Callable) -> None:
    """Register state-dict formats ``segkit.load_weights(model, path, format=NAME)`` can
    map onto a spec's keys: ``register(weight_format, name=None)``."""


@hookspec
def segkit_register_postprocessors(register: Callable) -> None:
    """Register prediction post-processors that ``segkit predict --postprocess NAME`` and
    ``segkit eval --postprocess NAME`` apply to (logits, image): ``register(post, name=None)``,
    where ``post(logits, image) -> logits`` works on batched tensors (e.g. a dense CRF):
    ``logits`` N x C x H x W, ``image`` N x K x H x W in [0, 1] (normalisation undone).
    Options given as ``--postprocess NAME:k=v,...`` go to ``post.configure(**options)``,
    which returns the configured post-processor; one without ``configure`` takes none."""

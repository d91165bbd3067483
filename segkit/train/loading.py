"""A trained model for eval/predict: the spec rebuilt with the checkpoint's params (plus
``--set``), the checkpoint checked against it and its weights loaded."""
from __future__ import annotations

from segkit import api
from segkit.errors import InputError, SourceLoc
from segkit.train import state

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.



OTHER_BUILD_HINT = ("use the spec file and --set values it was trained with, or pass --allow-other-build "
                    "to load the weights anyway")


def load_trained(spec: str, weights: str, sets: dict, device: str, registry, allow_other_build: bool = False):
    """``(model in eval mode, Report, checkpoint)``; InputError naming ``weights`` when it
    is unreadable, from another spec, or does not fit. Like a resume, the checkpoint must
    come from this very build of the spec (its fingerprint), unless
    ``allow_other_build`` (weights that still fit then load). ``registry`` finds the spec
    by name."""
    checkpoint = state.load(weights)
    loaded = api.load_spec(spec, registry)
    declared = set(loaded.params or {})
    params = {k: v for k, v in (checkpoint.get("params") or {}).items() if k in declared}
    params.update(sets)
    # before resolving: the checkpoint's params may not even apply to another spec
    state.check_spec(checkpoint, weights, loaded, exact=False)
    if not allow_other_build:  # before loading weights: a changed spec's may fit by chance
        graph = api.resolve(loaded, None, registry, **params)  # with training heads, as trained
        state.check_spec(checkpoint, weights, graph, exact=True, hint=OTHER_BUILD_HINT)
    built = api.build_for_inference(loaded, None, registry, weights=checkpoint, source_name=str(weights), **params)
    return built.model.to(device), built.report, checkpoint


def output_classes(report) -> int:
    outputs = report.outputs
    shape = outputs["out"] if "out" in outputs else next(iter(outputs.values()))
    return shape.channels


def inference_meta(checkpoint: dict, report, dataset_meta: dict | None = None) -> dict:
    """Normalisation, classes and palette for inference: the training data's (stored in
    the checkpoint), else ``dataset_meta``, else ImageNet statistics and the VOC palette."""
    from segkit.data.transforms import IMAGENET_MEAN, IMAGENET_STD

    num_classes = output_classes(report)
    meta = dict(dataset_meta or {})
    meta.update(checkpoint.get("dataset") or {})
    channels = next(iter(report.graph.input_shapes.values())).channels
    meta.setdefault("in_channels", channels)
    meta.setdefault("mean", list(IMAGENET_MEAN) if channels == 3 else [0.5] * channels)
    meta.setdefault("std", list(IMAGENET_STD) if channels == 3 else [0.5] * channels)
    meta.setdefault("ignore_index", 255)
    meta["num_classes"] = num_classes
    names = list(meta.get("class_names") or [])
    meta["class_names"] = names if len(names) == num_classes else [f"class{i}" for i in range(num_classes)]
    return meta


def check_classes(report, num_classes: int, data_name: str, weights: str) -> None:
    got = output_classes(report)
    if got != num_classes:
        raise InputError(f"the model predicts {got} classes but dataset {data_name} has {num_classes}",
                         SourceLoc(str(weights)), "evaluate on the dataset the weights were trained for")

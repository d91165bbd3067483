"""Datasets by name and the DataLoaders of training and evaluation.

Augmentation randomness is made a pure function of ``(seed, epoch, sample index)``:
:class:`Seeded` reseeds torch's RNG around each ``__getitem__`` and restores it
afterwards. A sample therefore gets the same crop and flip whatever
the number of loader workers or processes, and a run resumed at an epoch boundary
sees exactly the batches an uninterrupted run sees.
"""
from __future__ import annotations

import random

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset, default_collate
from torch.utils.data.distributed import DistributedSampler

from segkit.data.transforms import IMAGENET_MEAN, IMAGENET_STD
from segkit.errors import InputError, SegkitError, SourceLoc
from segkit.train.distributed import shard
from segkit.train.options import DataArg


def dataset_class(data: DataArg, registry):
    """The dataset class (or factory) that ``registry`` has under ``data``'s name."""
    return registry.get("dataset", data.name, SourceLoc("--data"))


def open_dataset(data: DataArg, split: str, registry, transform=None, check: str | None = None):
    """The ``split`` of ``data``, opened (and validated) by its registered class; ``check``
    (one of :data:`segkit.train.options.CHECK_LEVELS`) is its ``validate`` option, unless ``--data-opt validate=``
    gives one or the class takes none."""
    cls = dataset_class(data, registry)
    options = dict(data.options)
    takes = getattr(cls, "options", None) or {}
    if check is not None and "validate" not in options and takes.get("validate", (None,))[0] == "validate":
        options["validate"] = check
    try:
        return cls.open(data.path, split, transform=transform, **options)
    except InputError:
        raise
    except (OSError, ValueError) as exc:  # a plugin dataset that does not use InputError
        raise InputError(f"cannot open {data} ({split}): {exc}", SourceLoc(data.path or "--data")) from None


def unlabeled_warning(dataset, split: str) -> str | None:
    """A warning when validation found masks that label no pixel (all ignore index):
    they add nothing to the loss, and a split of only such masks has a NaN mIoU."""
    masks = list(getattr(dataset, "unlabeled", None) or [])
    if not masks:
        return None
    ignore = getattr(dataset, "ignore_index", 255)
    every = len(masks) == len(dataset)
    return (f"warning: {'every one' if every else f'{len(masks)}'} of the {len(dataset)} masks of the {split} "
            f"split labels no pixel (all ignore index {ignore}), e.g. {masks[0]}; "
            + ("nothing can be learned or measured from them (loss 0, mIoU nan)" if every
               else "they add nothing to the loss or the metrics"))


def dataset_meta(dataset) -> dict:
    """What eval/predict need to know of the training data (stored in checkpoints)."""
    channels = int(getattr(dataset, "in_channels", 3))
    mean = list(getattr(dataset, "mean", None) or (IMAGENET_MEAN if channels == 3 else [0.5] * channels))
    std = list(getattr(dataset, "std", None) or (IMAGENET_STD if channels == 3 else [0.5] * channels))
    return {
        "name": getattr(dataset, "name", type(dataset).__name__),
        "num_classes": int(dataset.num_classes),
        "ignore_index": int(getattr(dataset, "ignore_index", 255)),
        "class_names": [str(c) for c in getattr(dataset, "class_names", [])] or
                       [f"class{i}" for i in range(dataset.num_classes)],
        "palette": [tuple(int(v) for v in c) for c in getattr(dataset, "palette", [])],
        "in_channels": channels,
        "mean": [float(v) for v in mean],
        "std": [float(v) for v in std],
    }


def _splitmix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def _mix(*values: int) -> int:
    """A 63-bit seed hashed from integers (splitmix64 chaining)."""
    h = 0
    for v in values:
        h = _splitmix(h ^ (int(v) & 0xFFFFFFFFFFFFFFFF))
    return h >> 1


class Seeded(Dataset):
    """``dataset[i]`` with torch's RNG seeded from ``(seed, epoch, i)`` and restored
    afterwards. Transforms draw their randomness from torch's global RNG
    (:mod:`segkit.data.transforms`); a custom transform using numpy or ``random`` is
    still reproducible (seeded workers, checkpointed RNG states) but depends on the
    number of workers."""

    def __init__(self, dataset, seed: int):
        self.dataset = dataset
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i):
        generator = torch.default_generator
        saved = generator.get_state()
        generator.manual_seed(_mix(self.seed, self.epoch, i))
        try:
            return self.dataset[i]
        finally:
            generator.set_state(saved)


class WorkerFailure:
    """A SegkitError raised while loading a sample, carried back as the batch: torch
    re-raises a loader worker's exception rebuilt from its traceback text, which loses
    the error's location (``<unknown>``) and buries its message."""

    def __init__(self, error):
        self.error = error


class Carrying(Dataset):
    """``dataset[i]``, or a WorkerFailure holding the SegkitError it raised."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i):
        try:
            return self.dataset[i]
        except SegkitError as exc:
            return WorkerFailure(exc)


class CarryingCollate:
    """``collate(batch)``, or the batch's first WorkerFailure (a class, not a closure,
    so that workers started with spawn can unpickle it)."""

    def __init__(self, collate):
        self.collate = collate

    def __call__(self, batch):
        for item in batch:
            if isinstance(item, WorkerFailure):
                return item
        return self.collate(batch)


class Loader(DataLoader):
    """A DataLoader that raises a sample's SegkitError as itself (with its file), also
    from worker processes; build it with :func:`loader`."""

    def __iter__(self):
        for batch in super().__iter__():
            if isinstance(batch, WorkerFailure):
                raise batch.error
            yield batch


def loader(dataset, collate_fn=None, **kwargs) -> Loader:
    """A :class:`Loader` of ``dataset`` whose sample errors keep their location."""
    return Loader(Carrying(dataset), collate_fn=CarryingCollate(collate_fn or default_collate), **kwargs)


def seed_worker(worker_id: int) -> None:
    """Seed numpy and Python in a loader worker from torch's per-worker seed."""
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def stack_or_list(batch):
    """Stack same-sized samples; keep a list when sizes differ (eval of full images)."""
    images, masks = zip(*batch)
    if len({tuple(im.shape) for im in images}) == 1 and len({tuple(m.shape) for m in masks}) == 1:
        return torch.stack(images), torch.stack(masks)
    return list(images), list(masks)


def train_loader(dataset: Seeded, batch_size: int, workers: int, seed: int, env) -> tuple[DataLoader, DistributedSampler]:
    """Shuffled batches of ``batch_size`` per process (the global batch split over the
    processes); the permutation depends on ``seed`` and the epoch only."""
    sampler = DistributedSampler(dataset, num_replicas=env.world, rank=env.rank, shuffle=True, seed=seed,
                                 drop_last=True)
    per_process = len(sampler)
    drop_last = per_process >= batch_size
    generator = torch.Generator()
    generator.manual_seed(seed)
    batches = loader(dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
                     drop_last=drop_last, worker_init_fn=seed_worker, generator=generator,
                     pin_memory=env.device.startswith("cuda"), persistent_workers=False)
    return batches, sampler


def eval_loader(dataset, batch_size: int, workers: int, env) -> DataLoader:
    """This process's shard of ``dataset`` (every sample exactly once over all processes),
    in order."""
    subset = Subset(dataset, shard(len(dataset), env)) if env.world > 1 else dataset
    generator = torch.Generator()
    generator.manual_seed(0)
    return loader(subset, batch_size=batch_size, shuffle=False, num_workers=workers,
                  collate_fn=stack_or_list, worker_init_fn=seed_worker, generator=generator,
                  pin_memory=env.device.startswith("cuda"))

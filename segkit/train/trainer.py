"""The training loop of ``segkit train``.

One :class:`Trainer` per process. Under torchrun the model is wrapped in
DistributedDataParallel, ``batch_size`` (the global batch) is split over the processes,
evaluation shards the validation set so that every sample is counted once, and only
rank 0 writes files or prints.

Bit-exact resume (CPU, ``--deterministic``): the model is initialised from ``seed``;
the shuffling of epoch ``e`` depends on ``(seed, e)`` only and the augmentation of a
sample on ``(seed, e, index)`` (:mod:`segkit.train.data`); a checkpoint written at the
end of an epoch holds the model, optimizer, scheduler and every RNG state. Resuming
from it therefore replays the remaining epochs exactly as an uninterrupted run would.
"""
from __future__ import annotations

import inspect
import math
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from segkit import api
from segkit.compiler.codegen import compile_graph
from segkit.data.transforms import eval_transforms, train_transforms
from segkit.errors import InputError, SourceLoc
from segkit.plugins.manager import segkit_version
from segkit.train import data as datamod
from segkit.train import distributed as dist_utils
from segkit.train import guards, state, threads
from segkit.train.evaluation import Predictor, evaluate
from segkit.train.logs import Progress, RunLog
from segkit.train.options import DataArg, parse_data
from segkit.train.schedule import PolyLR
from segkit.train.tables import iou_table
from segkit.views.wording import counted

# rich is imported inside functions: optional for what most callers do.


DEFAULT_LR = {"sgd": 0.05, "adamw": 2e-3}
DEFAULT_WEIGHT_DECAY = {"sgd": 1e-4, "adamw": 1e-2}
DEFAULT_CROP = 512


def default_crop(dataset) -> tuple[int, int]:
    """The crop when --crop is not given: the dataset's ``default_crop``, else the size of
    generated data of one size (synthetic's ``size``), else DEFAULT_CROP square."""
    for native in (getattr(dataset, "default_crop", None), getattr(dataset, "size", None)):
        if isinstance(native, (tuple, list)) and len(native) == 2 and all(isinstance(v, int) for v in native):
            return tuple(native)
    return DEFAULT_CROP, DEFAULT_CROP


@dataclass
class TrainConfig:
    """Every setting of a run (saved in its checkpoints)."""

    spec: str
    sets: dict = field(default_factory=dict)
    data: str = "synthetic"
    data_options: dict = field(default_factory=dict)
    epochs: int = 5
    batch_size: int = 16
    lr: float | None = None
    optimizer: str = "adamw"
    momentum: float = 0.9
    weight_decay: float | None = None
    warmup_iters: int = 50
    poly_power: float = 0.9
    crop: tuple | None = None
    scale: tuple = (0.75, 1.5)
    workers: int = 0
    seed: int = 0
    deterministic: bool = False
    amp: bool = False
    """Autocast: float16 with a GradScaler on CUDA, bfloat16 on CPU."""
    channels_last: bool = False
    compile: bool = False
    """torch.compile the model for training and validation."""
    eval_every: int = 1
    out: str | None = None
    device: str | None = None
    loss: str = "ce"
    aux_weight: float = 0.4
    class_weights: list | None = None
    """Cross-entropy weight per class (None: all 1)."""
    max_iters_per_epoch: int | None = None
    check_data: str | None = None
    """Validation before training (:data:`segkit.train.data.CHECK_LEVELS`); None: the
    train split's default ("labels") and every val image decoded ("full")."""
    threads: int | None = None
    """Intra-op CPU threads (None: :func:`segkit.train.threads.set_threads`'s default)."""
    ddp_timeout: float = dist_utils.DEFAULT_TIMEOUT_S
    """Seconds a collective waits for every torchrun process."""

    @property
    def data_arg(self) -> DataArg:
        arg = parse_data(self.data)
        arg.options = dict(self.data_options)
        return arg

    def to_dict(self) -> dict:
        out = asdict(self)
        out["crop"] = list(self.crop) if self.crop else None
        out["scale"] = list(self.scale) if self.scale else None
        return out

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in values.items() if k in known}
        for key in ("crop", "scale"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        return cls(**values)


def takes_keyword(fn, name: str) -> bool:
    """Whether ``fn`` accepts keyword argument ``name`` (by name, or through ``**kwargs``).
    Asked of the signature, not by calling and catching TypeError, which would also
    catch a TypeError raised inside ``fn``."""
    params = inspect.signature(fn).parameters.values()
    return any(p.kind is p.VAR_KEYWORD or (p.name == name and p.kind is not p.POSITIONAL_ONLY) for p in params)


class Trainer:
    def __init__(self, config: TrainConfig, resume: str | None = None, console=None, registry=None):
        """``registry`` finds the spec, dataset and loss by name (None: the installed
        plugins', :func:`segkit.api.default_registry`)."""
        self.config = config
        self.registry = registry or api.default_registry()
        self.resume_path = resume
        self.env = dist_utils.setup(config.device, dist_utils.check_timeout(config.ddp_timeout))
        self.console = console
        self.out = Path(config.out)
        self.log = None

    # -- messages ------------------------------------------------------------------------
    def say(self, text: str) -> None:
        if self.env.is_main and self.console is not None:
            self.console.print(text, highlight=False, soft_wrap=True)

    # -- setup -----------------------------------------------------------------------------
    def setup(self) -> None:
        cfg, env = self.config, self.env
        cuda = env.device.startswith("cuda")
        if cfg.deterministic:
            if cuda:
                os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True, warn_only=cuda)
            torch.backends.cudnn.benchmark = False
        elif cuda:
            torch.backends.cudnn.benchmark = True
        self.amp = cfg.amp
        self.amp_dtype = torch.float16 if cuda else torch.bfloat16
        self.device_type = "cuda" if cuda else "cpu"
        self.channels_last = cfg.channels_last
        if cfg.optimizer not in DEFAULT_LR:
            raise InputError(f"--optimizer takes sgd or adamw, got {cfg.optimizer!r}", SourceLoc("--optimizer"))
        if cfg.batch_size % env.world:
            raise InputError(f"--batch-size {cfg.batch_size} (the global batch) does not split evenly over "
                             f"{env.world} processes", SourceLoc("--batch-size"),
                             f"use a multiple of {env.world}")
        if cfg.epochs < 1:
            raise InputError("--epochs must be at least 1", SourceLoc("--epochs"))
        guards.check_numbers(cfg)

        checkpoint = state.load(self.resume_path) if self.resume_path else None
        data = cfg.data_arg
        # datasets (validated before anything trains)

        threads.set_threads(cfg.threads, cfg.workers)
        probe = datamod.open_dataset(data, "train", self.registry, check=cfg.check_data)
        self.meta = datamod.dataset_meta(probe)
        crop = cfg.crop or default_crop(probe)
        self.crop = crop
        mean, std = self.meta["mean"], self.meta["std"]
        probe.transform = train_transforms(crop, mean, std, scale=cfg.scale, ignore_index=self.meta["ignore_index"])
        self.train_set = datamod.Seeded(probe, cfg.seed)
        # every val image decoded by default: a bad one found now, not after an epoch of training
        self.val_set = datamod.open_dataset(data, "val", self.registry, transform=eval_transforms(mean, std),
                                            check=cfg.check_data or "full")
        for split, dataset in (("train", probe), ("val", self.val_set)):
            warning = datamod.unlabeled_warning(dataset, split)
            if warning:
                self.say(warning)

        # model
        self.graph, self.report = self._resolve(checkpoint)
        if checkpoint is not None:
            state.check_spec(checkpoint, self.resume_path, self.graph, exact=True)
        state.seed_everything(cfg.seed)

        device = torch.device(env.device)
        model = compile_graph(self.graph).to(device)
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model = model
        self.ddp = model
        if env.distributed:
            self.ddp = DistributedDataParallel(model, device_ids=[env.local_rank] if model_is_cuda(model) else None)
        self.step_model = torch.compile(self.ddp) if cfg.compile else self.ddp

        # loss, optimizer, schedule
        self.criterion = self._loss().to(device)
        lr = cfg.lr if cfg.lr is not None else DEFAULT_LR[cfg.optimizer]
        wd = cfg.weight_decay if cfg.weight_decay is not None else DEFAULT_WEIGHT_DECAY[cfg.optimizer]
        decay, no_decay = [], []
        for name, p in model.named_parameters():
            (no_decay if p.ndim <= 1 else decay).append(p)
        groups = [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]
        if cfg.optimizer == "sgd":
            self.optimizer = torch.optim.SGD(groups, lr=lr, momentum=cfg.momentum)
        else:
            self.optimizer = torch.optim.AdamW(groups, lr=lr)
        self.per_process_batch = cfg.batch_size // env.world
        self.loader, self.sampler = datamod.train_loader(self.train_set, self.per_process_batch, cfg.workers,
                                                         cfg.seed, env)
        self.iters_per_epoch = len(self.loader)
        if cfg.max_iters_per_epoch:
            self.iters_per_epoch = min(self.iters_per_epoch, cfg.max_iters_per_epoch)
        if self.iters_per_epoch == 0:
            raise InputError(f"the training set of {data} has {len(self.train_set)} samples: too few for "
                             f"--batch-size {cfg.batch_size}", SourceLoc("--batch-size"))

        self.scheduler = PolyLR(self.optimizer, cfg.epochs * self.iters_per_epoch, power=cfg.poly_power,
                                warmup_iters=cfg.warmup_iters)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp and cuda)  # bfloat16 needs no scaling
        self.val_loader = datamod.eval_loader(self.val_set, max(1, self.per_process_batch), cfg.workers, env)
        self.predictor = Predictor(torch.compile(model) if cfg.compile else model, self.report.accepted_sizes,
                                   channels_last=self.channels_last, amp=self.amp)

        self.epoch = 0
        self.iteration = 0
        self.lr = self.optimizer.param_groups[0]["lr"]
        self.history: list[dict] = []
        self.best = -math.inf
        self.elapsed = 0.0
        self.epoch_step = 0
        self.last_good: tuple[Path, int] | None = None
        """The last checkpoint saved or resumed from, and its epoch: what a diverged run names."""
        if checkpoint is not None:
            self._restore(checkpoint)
            self.last_good = (Path(self.resume_path), self.epoch)

    def _resolve(self, checkpoint):
        """The spec's graph at the crop size, with num_classes / in_channels defaulting to
        the dataset's (and, on resume, the checkpoint's params)."""
        cfg = self.config
        spec = api.load_spec(cfg.spec, self.registry)
        declared = set(spec.params or {})
        params = dict(checkpoint.get("params") or {}) if checkpoint is not None else {}
        params.update(cfg.sets)
        for key in ("num_classes", "in_channels"):
            if key in declared and key not in params:
                params[key] = self.meta[key]
        params = {k: v for k, v in params.items() if k in declared or k in cfg.sets}
        channels = self.meta["in_channels"]
        h, w = self.crop
        report = api.check(spec, f"{channels}x{h}x{w}", self.registry, size_option="--crop", **params)
        out = _main_shape(report.outputs)
        if out.channels != self.meta["num_classes"]:
            raise InputError(f"spec {report.graph.name!r} outputs {out.channels} classes but dataset "
                             f"{self.meta['name']} has {self.meta['num_classes']}", SourceLoc("--set"),
                             f"use --set num_classes={self.meta['num_classes']}")
        return report.graph, report

    def _loss(self):
        """The --loss criterion; --class-weights (one per class of the dataset) go to it."""
        cfg = self.config
        factory = self.registry.get("loss", cfg.loss, SourceLoc("--loss"))
        if cfg.class_weights is None:
            return factory(ignore_index=self.meta["ignore_index"], aux_weight=cfg.aux_weight)
        classes = self.meta["num_classes"]
        if len(cfg.class_weights) != classes:
            raise InputError(f"--class-weights gives {len(cfg.class_weights)} weights but dataset "
                             f"{self.meta['name']} has {classes} classes", SourceLoc("--class-weights"),
                             f"give one weight per class, in order: {', '.join(self.meta['class_names'])}")
        if not takes_keyword(factory, "class_weights"):  # a plugin loss without class weights
            raise InputError(f"loss {cfg.loss!r} does not take class weights (no class_weights parameter)",
                             SourceLoc("--class-weights"), "use --loss ce (or a sum with ce)")
        return factory(ignore_index=self.meta["ignore_index"], aux_weight=cfg.aux_weight,
                       class_weights=list(cfg.class_weights))

    def _restore(self, checkpoint: dict) -> None:
        api.load_weights(self.model, checkpoint, registry=self.registry, source_name=str(self.resume_path))
        try:
            self.optimizer.load_state_dict(checkpoint["optimizer"])
            self.scheduler.load_state_dict(checkpoint["scheduler"])
        except (KeyError, ValueError) as exc:
            raise InputError(f"checkpoint has no usable training state ({exc})", SourceLoc(str(self.resume_path)),
                             "weights-only files (best.pt, segkit build --save) cannot resume; use last.pt") from None
        # a resumed run may change --epochs: the schedule follows the new length
        max_iters = self.config.epochs * self.iters_per_epoch
        if max_iters != self.scheduler.max_iters:
            self.scheduler.max_iters = max_iters
            for group, lr in zip(self.optimizer.param_groups, self.scheduler.get_lr()):
                group["lr"] = lr
            self.scheduler._last_lr = [group["lr"] for group in self.optimizer.param_groups]
        if checkpoint.get("scaler"):
            self.scaler.load_state_dict(checkpoint["scaler"])
        self.epoch = int(checkpoint["epoch"])
        self.iteration = int(checkpoint["iteration"])
        self.history = list(checkpoint.get("history") or [])
        self.best = float(checkpoint.get("best_miou", -math.inf))
        self.elapsed = float(checkpoint.get("elapsed", 0.0))
        rng = checkpoint.get("rng") or {}
        per_rank = rng.get(self.env.rank) if isinstance(rng, dict) and self.env.rank in rng else rng.get(0)
        if per_rank is not None:
            state.set_rng_state(per_rank)
        self.say(f"resumed from {self.resume_path} at epoch {self.epoch} (iteration {self.iteration})")

    # -- the loop ------------------------------------------------------------------------
    def step(self, images, masks) -> torch.Tensor:
        """One optimisation step; returns the (detached) loss."""
        try:
            with torch.autocast(self.device_type, dtype=self.amp_dtype, enabled=self.amp):
                out = self.step_model(images)
                loss = self.criterion(out, masks)
        except ValueError as exc:  # BatchNorm on a batch of 1x1 maps of one sample
            raise guards.batch_statistics_error(exc, images.shape[0], self.crop) from None
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if not guards.loss_is_finite(loss, self.env):  # checked after backward: DDP's gradient sync is done
            raise self.diverged(f"the loss became {float(loss.detach().float())}")
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.lr = self.optimizer.param_groups[0]["lr"]
        self.scheduler.step()
        self.iteration += 1
        return loss.detach()

    def train_epoch(self, progress) -> float:
        cfg, env = self.config, self.env
        device = torch.device(env.device)
        self.train_set.set_epoch(self.epoch)
        self.sampler.set_epoch(self.epoch)
        self.loader.generator.manual_seed(datamod._mix(cfg.seed, self.epoch, env.rank))
        self.ddp.train()
        task = progress.task(f"epoch {self.epoch + 1}/{cfg.epochs}", self.iters_per_epoch)
        total = torch.zeros(2, dtype=torch.float64, device=device)
        for k, (images, masks) in enumerate(self.loader):
            if k >= self.iters_per_epoch:
                break
            images = images.to(device, non_blocking=True)
            masks = masks.to(device, non_blocking=True)
            if self.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            self.epoch_step = k + 1
            loss = self.step(images, masks)
            total[0] += loss.double()
            total[1] += 1
            if self.log is not None and self.log.writer is not None and self.iteration % 10 == 0:
                self.log.scalar("train/loss", float(loss), self.iteration)
                self.log.scalar("train/lr", self.lr, self.iteration)
            if task.id is not None or (k + 1) % 20 == 0:
                task.advance(f"loss {loss.item():.4f}  lr {self.scheduler.get_last_lr()[0]:.2e}")
            else:
                task.done += 1
        task.finish()
        dist_utils.all_reduce_sum(total, env)
        return float(total[0] / total[1].clamp(min=1))

    def sync_buffers(self) -> None:
        """Give every process rank 0's buffers (BN running statistics), as DDP does at
        the start of each forward: what rank 0 saves is then what every rank evaluates."""
        if not self.env.initialized:
            return

        for buffer in self.model.buffers():
            dist.broadcast(buffer, src=0)

    def validate(self, progress):
        task = progress.task("  validating", len(self.val_loader))
        matrix = evaluate(self.predictor, self.val_loader, self.meta["num_classes"], self.meta["ignore_index"],
                          self.env, progress=task.advance)
        task.finish()
        return matrix

    def run(self) -> dict:
        from rich.console import Console

        self.console = self.console or Console()
        try:
            with dist_utils.peers_checked(self.env, self.config.ddp_timeout):
                self.setup()
                last = self.loop()
        finally:
            if self.log is not None:
                self.log.close()
            dist_utils.cleanup(self.env)
        final = self.history[-1] if self.history else {}
        if last is not None and self.env.is_main:
            self.console.print(iou_table(last, self.meta["class_names"], title=f"{self.graph.name}: validation"))
        self.say(f"done: val mIoU {final.get('val_miou', float('nan')):.4f} after {counted(self.epoch, 'epoch')} "
                 f"({self.elapsed:.1f} s of training); checkpoints in {self.out}")
        return final

    def loop(self):
        """Train the remaining epochs; the last validation's ConfusionMatrix (or None)."""
        cfg, env = self.config, self.env
        if env.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            for stale in sorted(self.out.glob(".*.pt.*.tmp")):
                stale.unlink()
                self.say(f"removed {stale}, a partial checkpoint of an interrupted save")
        self.log = RunLog(self.out, enabled=env.is_main, purge_step=self.epoch + 1 if self.epoch else None)
        params = sum(p.numel() for p in self.model.parameters())
        self.say(f"training {self.graph.name} ({params:,} parameters) on {self.config.data_arg} "
                 f"[{len(self.train_set)} train / {len(self.val_set)} val, {self.meta['num_classes']} classes], "
                 f"crop {self.crop[0]}x{self.crop[1]}, batch {cfg.batch_size}"
                 + (f" over {env.world} processes" if env.distributed else "")
                 + f", {counted(cfg.epochs, 'epoch')} x {counted(self.iters_per_epoch, 'iteration')}, {cfg.optimizer} "
                 f"lr {self.optimizer.defaults['lr']:g}, device {env.device}; writing to {self.out}")
        if self.epoch >= cfg.epochs:
            self.say(f"nothing to do: the checkpoint has completed {self.epoch} of {counted(cfg.epochs, 'epoch')} "
                     "(pass --epochs N to train longer)")
        last = None
        with Progress(self.console, enabled=env.is_main) as progress:
            while self.epoch < cfg.epochs:
                start = time.perf_counter()
                train_loss = self.train_epoch(progress)
                self.sync_buffers()
                self.epoch += 1
                row = {"epoch": self.epoch, "iteration": self.iteration, "lr": self.lr, "train_loss": train_loss}
                if self.epoch % max(1, cfg.eval_every) == 0 or self.epoch == cfg.epochs:
                    last = self.validate(progress)
                    row.update(val_miou=last.miou(), val_pixel_acc=last.pixel_accuracy(), val_fw_iou=last.fw_iou())
                seconds = time.perf_counter() - start
                self.elapsed += seconds
                row.update(epoch_s=seconds, elapsed_s=self.elapsed)
                self.history.append(row)
                self.end_epoch(row)
        return last

    def end_epoch(self, row: dict) -> None:
        env = self.env
        text = (f"epoch {row['epoch']}/{self.config.epochs}  loss {row['train_loss']:.4f}  lr {row['lr']:.2e}")
        if row.get("val_miou") is not None:
            text += f"  val mIoU {row['val_miou']:.4f}  pixel acc {row['val_pixel_acc']:.4f}"
        text += f"  ({row['epoch_s']:.1f} s)"
        self.say(text)
        if not guards.weights_are_finite(self.model):  # every process holds the same weights: all stop
            raise self.diverged("the weights became non-finite", epoch=row["epoch"])
        rngs = self._gather_rng()
        if env.is_main:
            improved = row.get("val_miou") is not None and row["val_miou"] > self.best
            if improved:
                self.best = row["val_miou"]
            state.save(self.checkpoint(rngs), self.out / "last.pt")
            if improved:
                state.save(self.weights(row), self.out / "best.pt")
            self.log.epoch(self.history)
        self.last_good = (self.out / "last.pt", self.epoch)
        dist_utils.barrier(env)

    def diverged(self, what: str, epoch: int | None = None) -> guards.DivergedError:
        """The error that stops a run whose ``what`` is no longer finite, at the current
        step of ``epoch`` (1-based; default: the epoch training now)."""
        return guards.diverged(what, epoch or self.epoch + 1, self.epoch_step, self.iters_per_epoch, self.last_good)

    def _gather_rng(self) -> dict:
        """RNG states of every process, by rank."""
        mine = state.rng_state()
        if not self.env.initialized:
            return {0: mine}
        everyone = [None] * self.env.world
        dist.all_gather_object(everyone, mine)
        return dict(enumerate(everyone))

    def _common(self) -> dict:
        return {
            "spec": self.graph.name,
            "spec_file": str(getattr(self.graph.spec, "path", None) or self.config.spec),
            "params": dict(self.graph.params),
            "fingerprint": state.fingerprint(self.graph),
            "node_fingerprints": state.node_fingerprints(self.graph),
            "state_dict": self.model.state_dict(),
            "dataset": self.meta,
            "segkit_version": segkit_version(),
        }

    def checkpoint(self, rngs: dict) -> dict:
        return {
            "format": state.FORMAT,
            **self._common(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler.is_enabled() else None,
            "rng": rngs,
            "epoch": self.epoch,
            "iteration": self.iteration,
            "config": self.config.to_dict(),
            "history": self.history,
            "best_miou": self.best,
            "elapsed": self.elapsed,
            "world_size": self.env.world,
        }

    def weights(self, row: dict) -> dict:
        return {"format": "segkit-weights-1", **self._common(), "epoch": self.epoch,
                "val_miou": row.get("val_miou")}


def model_is_cuda(model) -> bool:
    return any(p.is_cuda for p in model.parameters())


def _main_shape(outputs: dict):
    return outputs["out"] if "out" in outputs else next(iter(outputs.values()))

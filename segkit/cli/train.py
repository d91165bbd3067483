"""``segkit train``, ``segkit eval`` and ``segkit predict``. Torch is imported inside the
commands, so that ``segkit check`` (which loads every command group) stays torch-free."""
from __future__ import annotations

import os
from pathlib import Path

import click

from segkit.cli.options import console, parse_sets, registry, set_option, spec_argument, user_errors
from segkit.errors import InputError, SourceLoc
from segkit.train import distributed as dist_utils
from segkit.train import state
from segkit.train.images import expand_images
from segkit.train.loading import check_classes, inference_meta, load_trained
from segkit.train.logs import Progress
from segkit.train.options import CHECK_LEVELS, parse_data, parse_floats, parse_hw, parse_kv, parse_weights
from segkit.train.tables import iou_table
from segkit.train.threads import THREADS_HELP, set_threads
from segkit.views import strict_json
from segkit.views.wording import counted

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.


data_option = click.option("--data", default="synthetic", show_default=True, metavar="NAME[:PATH]",
                           help="Dataset: a registered name, with its root folder after a colon "
                                "(synthetic, folder:DIR, voc:DIR, cityscapes:DIR, camvid:DIR, ade20k:DIR).")
data_opt_option = click.option("--data-opt", "data_opts", multiple=True, metavar="K=V",
                               help="A dataset option, e.g. --data-opt size=64 --data-opt length=256.")
device_option = click.option("--device", type=click.Choice(["cpu", "cuda"]), default=None,
                             help="Default: cuda when available, else cpu.")
workers_option = click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True,
                              help="DataLoader worker processes.")
threads_option = click.option("--threads", type=click.IntRange(min=1), default=None, help=THREADS_HELP)
ddp_timeout_option = click.option("--ddp-timeout", type=click.FloatRange(min=0, min_open=True),
                                  default=dist_utils.DEFAULT_TIMEOUT_S, show_default=True, metavar="SECONDS",
                                  help="Under torchrun: how long a process waits for the others at a collective "
                                       "before stopping with a message (a dead or stalled peer).")
allow_other_build_option = click.option(
    "--allow-other-build", is_flag=True,
    help="Load weights trained with another build of the spec (edited file or other --set values) "
         "as long as they fit; by default such a checkpoint is refused, naming what differs.")


def check_data_option(default_help: str):
    return click.option("--check-data", type=click.Choice(CHECK_LEVELS), default=None,
                        help="Dataset validation before anything runs: headers (image and mask headers), labels "
                             "(image headers; masks decoded, labels checked), full (every image decoded too) "
                             f"[default: {default_help}]. --data-opt validate=... overrides it.")


AMP_HELP = "Mixed precision: float16 autocast with a gradient scaler on CUDA, bfloat16 autocast on CPU."
CHANNELS_LAST_HELP = "channels_last memory format (model and images)."
COMPILE_HELP = "torch.compile the model (the first batches include compile time)."


def speed_options(fn):
    """--amp, --channels-last and --compile of eval."""
    fn = click.option("--compile", "compile_", is_flag=True, help=COMPILE_HELP)(fn)
    fn = click.option("--channels-last", is_flag=True, help=CHANNELS_LAST_HELP)(fn)
    fn = click.option("--amp", is_flag=True, help=AMP_HELP)(fn)
    return fn


def tta_options(fn):
    fn = click.option("--stride", metavar="HxW", help="Sliding-window step (default: 2/3 of the window).")(fn)
    fn = click.option("--window", metavar="HxW", help="Sliding-window inference with windows of this size; "
                                                      "overlapping window logits are averaged.")(fn)
    fn = click.option("--flip", is_flag=True, help="Also predict the horizontally flipped image (TTA).")(fn)
    fn = click.option("--scales", metavar="S,S,...", default="1", show_default=True,
                      help="Multi-scale test-time augmentation, e.g. 0.75,1,1.25; probabilities are averaged.")(fn)
    return fn


postprocess_option = click.option(
    "--postprocess", metavar="NAME[:K=V,...]", default=None,
    help="Apply a registered post-processor (e.g. crf, from segkit-crf) to the final logits (or TTA "
         "probabilities) with the un-normalised image, before the argmax; options after a colon, e.g. "
         "crf:iterations=5,theta_alpha=67. `segkit plugins` lists them.")


def _postprocessor(text):
    """``(name, post-processor)`` for --postprocess, or None; looked up (and its options
    checked) before any model or data is loaded."""
    from segkit.train.postprocess import load_postprocessor

    if not text:
        return None

    return load_postprocessor(text, registry())


def _predictor(model, report, scales, flip, window, stride, device, post=None, meta=None, amp=False,
               channels_last=False, compile_=False):
    """The Predictor of the TTA and speed options, wrapped in the --postprocess
    post-processor (``post``, from :func:`_postprocessor`; ``meta`` gives the
    normalisation to undo)."""
    from segkit.train.evaluation import Predictor
    from segkit.train.postprocess import Postprocessed

    window = parse_hw(window, "--window")
    stride = parse_hw(stride, "--stride")
    if stride and not window:
        raise InputError("--stride needs --window", SourceLoc("--stride"))
    if channels_last or compile_:
        import torch  # here, so that `segkit check`, which loads this module, stays torch-free

        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        if compile_:
            model = torch.compile(model)
    predictor = Predictor(model, report.accepted_sizes, scales=parse_floats(scales, "--scales"), flip=flip,
                          window=window, stride=stride, channels_last=channels_last, amp=amp)
    if post is None:
        return predictor

    name, function = post
    return Postprocessed(predictor, function, meta["mean"], meta["std"], name)


# --------------------------------------------------------------------------------- train

TRAIN_KEYS = ("data", "data_opts", "epochs", "batch_size", "lr", "optimizer", "weight_decay", "warmup_iters",
              "crop", "workers", "seed", "deterministic", "amp", "channels_last", "compile", "eval_every", "device",
              "loss", "aux_weight", "class_weights", "max_iters_per_epoch", "sets", "check_data", "threads",
              "ddp_timeout")


@click.command()
@spec_argument
@data_option
@data_opt_option
@click.option("--epochs", type=click.IntRange(min=1), default=5, show_default=True,
              help="Epochs (the default suits the synthetic quick start; real datasets need more).")
@click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True,
              help="Global batch size (split evenly over torchrun processes).")
@click.option("--lr", type=float, default=None, help="Base learning rate [default: 0.05 sgd, 0.002 adamw].")
@click.option("--optimizer", type=click.Choice(["sgd", "adamw"]), default="adamw", show_default=True,
              help="SGD (momentum 0.9) or AdamW.")
@click.option("--weight-decay", type=float, default=None, help="[default: 1e-4 sgd, 1e-2 adamw]; not on norms/biases.")
@click.option("--warmup-iters", type=click.IntRange(min=0), default=50, show_default=True,
              help="Linear warmup before the poly (power 0.9) decay.")
@click.option("--crop", metavar="HxW", default=None, help="Training crop [default: the dataset's default_crop (synthetic: its size), else 512x512].")
@workers_option
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--deterministic", is_flag=True, help="torch.use_deterministic_algorithms(True): bit-exact reruns and resumes.")
@click.option("--amp", is_flag=True, help=AMP_HELP)
@click.option("--channels-last", is_flag=True, help=CHANNELS_LAST_HELP)
@click.option("--compile", "compile", is_flag=True, help=COMPILE_HELP)
@click.option("--eval-every", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Validate every N epochs (and after the last).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Run folder [default: runs/SPECNAME, numbered if it holds a run].")
@click.option("--resume", is_flag=False, flag_value="", default=None, metavar="[CKPT]",
              help="Continue from CKPT (default: OUT/last.pt, or a fresh run when there is none yet) with its "
                   "settings; options given again override them.")
@set_option
@device_option
@click.option("--loss", default="ce", show_default=True, help="ce, dice, lovasz, ce+dice, ce+lovasz, or a plugin loss.")
@click.option("--aux-weight", type=float, default=0.4, show_default=True, help="Weight of auxiliary heads' losses.")
@click.option("--class-weights", metavar="W0,W1,...", default=None,
              help="Cross-entropy weight of each class (one per class of the dataset), e.g. to favour rare "
                   "classes; stored with the run's settings.")
@click.option("--max-iters-per-epoch", type=click.IntRange(min=1), default=None, hidden=True)
@check_data_option("labels for the train split, full for the val split, so that a bad val image is found "
                   "before the first epoch")
@threads_option
@ddp_timeout_option
@user_errors
def train(spec, resume, out, **options):
    """Train SPEC; checkpoints, metrics.csv and curves.png go to --out.

    Multi-GPU / multi-node: launch with torchrun, e.g.
    `torchrun --nproc_per_node 4 -m segkit train SPEC --data voc:DIR`.
    """
    from segkit.train.trainer import Trainer

    ctx = click.get_current_context()
    given = {key for key in TRAIN_KEYS
             if ctx.get_parameter_source(key) == click.core.ParameterSource.COMMANDLINE}
    sets = parse_sets(options.pop("sets"))
    data_options = parse_kv(options.pop("data_opts"), "--data-opt")
    parse_data(options["data"])  # syntax check
    options["crop"] = parse_hw(options["crop"], "--crop")
    options["class_weights"] = parse_weights(options["class_weights"], "--class-weights")

    resume_path = None
    if resume is not None:
        resume_path = Path(resume) if resume else Path(out or _default_out(spec, fresh=False)) / "last.pt"
        if out is None:
            out = str(resume_path.parent)
        if not resume and not resume_path.exists():  # a run killed before its first save: nothing to resume
            if not launched_by_torchrun_rank_nonzero():
                click.echo(f"--resume: no checkpoint at {resume_path} yet; starting a fresh run there", err=True)
            resume_path = None
    elif out is None:
        out = _default_out(spec, fresh=True)
    elif (Path(out) / "last.pt").exists() and not launched_by_torchrun_rank_nonzero():
        raise InputError(f"{out} already holds a run (last.pt)", SourceLoc(str(Path(out) / 'last.pt')),
                         "pass --resume to continue it, or choose another --out")

    config = _train_config(spec, out, options, sets, data_options, resume_path, given)

    Trainer(config, resume=str(resume_path) if resume_path else None, console=console(), registry=registry()).run()


def launched_by_torchrun_rank_nonzero() -> bool:
    """Ranks > 0 of a torchrun job see rank 0's fresh files; only rank 0 checks --out."""
    return int(os.environ.get("RANK", "0")) > 0


def _default_out(spec: str, fresh: bool) -> str:
    """runs/NAME (NAME: the spec's file stem or registered name), numbered -2, -3, ...
    when a run is already there and ``fresh``."""
    stem = Path(spec).stem if spec.endswith((".yaml", ".yml")) else spec.replace("/", "_")
    base = Path("runs") / stem
    if not fresh or launched_by_torchrun_rank_nonzero():
        return str(base)
    candidate, n = base, 1
    while (candidate / "last.pt").exists():
        n += 1
        candidate = Path(f"{base}-{n}")
    return str(candidate)


def _train_config(spec, out, options, sets, data_options, resume_path, given):
    from segkit.train.trainer import TrainConfig

    values = dict(options)
    values.update(spec=spec, out=str(out), sets=sets, data_options=data_options)
    if resume_path is None:
        return TrainConfig.from_dict(values)

    saved = (state.load(resume_path).get("config") or {})
    if not saved:
        raise InputError("checkpoint holds no training settings; it cannot be resumed", SourceLoc(str(resume_path)),
                         "weights-only files (best.pt, segkit build --save) cannot resume; use last.pt")
    merged = dict(saved)
    merged.update(spec=spec, out=str(out))
    for key in given:
        if key == "sets":
            merged["sets"] = {**saved.get("sets", {}), **sets}
        elif key == "data_opts":
            merged["data_options"] = data_options
        else:
            merged[key] = values[key]
    return TrainConfig.from_dict(merged)


# ---------------------------------------------------------------------------------- eval


@click.command(name="eval")
@spec_argument
@click.option("--weights", required=True, metavar="CKPT", help="A checkpoint of segkit train (or segkit build --save).")
@data_option
@data_opt_option
@click.option("--split", default="val", show_default=True)
@tta_options
@postprocess_option
@click.option("--batch-size", type=click.IntRange(min=1), default=1, show_default=True)
@workers_option
@device_option
@speed_options
@set_option
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the metrics as JSON here.")
@allow_other_build_option
@check_data_option("labels")
@threads_option
@ddp_timeout_option
@user_errors
def evaluate_cmd(spec, weights, data, data_opts, split, scales, flip, window, stride, postprocess, batch_size,
                 workers, device, amp, channels_last, compile_, sets, json_path, allow_other_build, check_data,
                 threads, ddp_timeout):
    """Evaluate SPEC with --weights on a dataset: per-class IoU, mIoU, pixel accuracy, fwIoU.

    Runs sharded over processes under torchrun (each sample counted once).
    """
    from segkit.data.transforms import eval_transforms
    from segkit.train import data as datamod
    from segkit.train.evaluation import evaluate

    data_arg = parse_data(data, data_opts)
    post = _postprocessor(postprocess)
    env = dist_utils.setup(device, ddp_timeout)
    set_threads(threads, workers)
    try:
        model, report, checkpoint = load_trained(spec, weights, parse_sets(sets), env.device, registry(),
                                                 allow_other_build)
        meta = inference_meta(checkpoint, report)

        dataset = datamod.open_dataset(data_arg, split, registry(), transform=eval_transforms(meta["mean"], meta["std"]),
                                       check=check_data)
        warning = datamod.unlabeled_warning(dataset, split)
        if warning and env.is_main:
            click.echo(warning, err=True)
        check_classes(report, dataset.num_classes, str(data_arg), weights)
        predictor = _predictor(model, report, scales, flip, window, stride, env.device, post, meta, amp,
                               channels_last, compile_)
        loader = datamod.eval_loader(dataset, batch_size, workers, env)
        out = console()
        with Progress(out, enabled=env.is_main) as progress:
            task = progress.task(f"evaluating {report.graph.name} on {data_arg} {split}", len(loader))
            matrix = evaluate(predictor, loader, dataset.num_classes, dataset.ignore_index, env,
                              progress=task.advance)
            task.finish()
        if env.is_main:
            names = list(getattr(dataset, "class_names", []) or [])
            out.print(iou_table(matrix, names if len(names) == dataset.num_classes else meta["class_names"],
                                title=f"{report.graph.name} on {data_arg} ({split}, {len(dataset)} images)"))
            summary = matrix.summary()
            click.echo(f"mIoU {summary['miou']:.4f}  pixel accuracy {summary['pixel_accuracy']:.4f}  "
                       f"fwIoU {summary['fw_iou']:.4f}")
            if json_path:
                payload = {"spec": report.graph.name, "weights": str(weights), "data": str(data_arg),
                           "split": split, "images": len(dataset), "processes": env.world,
                           "postprocess": postprocess, **summary,
                           "classes": matrix.table(names if len(names) == dataset.num_classes else None)}
                Path(json_path).write_text(strict_json.dumps(payload) + "\n")
    except RuntimeError as exc:  # a dead or stalled torchrun peer: say so; anything else is a bug
        raise dist_utils.peer_error(exc, env, ddp_timeout) or exc
    finally:
        dist_utils.cleanup(env)


# ------------------------------------------------------------------------------- predict


@click.command()
@spec_argument
@click.argument("images", nargs=-1, required=True)
@click.option("--weights", required=True, metavar="CKPT", help="A checkpoint of segkit train (or segkit build --save).")
@click.option("--out", type=click.Path(file_okay=False), default="predictions", show_default=True)
@click.option("--overlay", is_flag=True, help="Also write the image blended with its mask colours.")
@click.option("--alpha", type=click.FloatRange(0, 1), default=0.5, show_default=True, help="Overlay opacity.")
@click.option("--data", default=None, metavar="NAME",
              help="Take classes, palette and normalisation from this dataset when the checkpoint lacks them.")
@tta_options
@postprocess_option
@device_option
@set_option
@allow_other_build_option
@threads_option
@user_errors
def predict(spec, images, weights, out, overlay, alpha, data, scales, flip, window, stride, postprocess, device,
            sets, allow_other_build, threads):
    """Segment IMAGES (files or folders) with SPEC and --weights: NAME_mask.png (palette
    PNG of class indices) and, with --overlay, NAME_overlay.png."""
    paths = expand_images(images)  # before torch and the checkpoint load: a wrong path fails at once
    from segkit.train.data import dataset_class
    from segkit.train.predict import predict_files

    post = _postprocessor(postprocess)
    device = dist_utils.pick_device(device)
    set_threads(threads, workers=0)
    model, report, checkpoint = load_trained(spec, weights, parse_sets(sets), device, registry(), allow_other_build)
    dataset_meta = None
    if data and not checkpoint.get("dataset"):
        cls = dataset_class(parse_data(data), registry())
        dataset_meta = {k: getattr(cls, k) for k in ("class_names", "palette", "mean", "std")
                        if getattr(cls, k, None)}
    meta = inference_meta(checkpoint, report, dataset_meta)
    predictor = _predictor(model, report, scales, flip, window, stride, device, post, meta)
    out = Path(out)
    written = predict_files(predictor, paths, out, meta, device, overlay, alpha)
    click.echo(f"wrote {counted(len(written), 'file')} for {counted(len(paths), 'image')} to {out}")


COMMANDS = (train, evaluate_cmd, predict,)

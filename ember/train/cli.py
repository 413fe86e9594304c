"""`ember train | test | predict | new-project` (also `python -m ember ...`)."""
import argparse
import functools
import os
import random
import re
import signal
import sys
import threading
import time

import numpy as np

from .checkpoint import CheckpointError, check_state_dict, load_checkpoint
from .config import ConfigError, ConfigParser, build, load_config, parse_value, resolve

__all__ = ["main", "build_experiment"]


class UsageError(Exception):
    """A bad command-line argument."""


# ---- what config "type" names resolve to ------------------------------------------------------------
def optimizer_table():
    from .. import optim
    return {n: getattr(optim, n) for n in optim.__all__
            if isinstance(getattr(optim, n), type) and issubclass(getattr(optim, n), optim.Optimizer)
            and n != "Optimizer"}


def scheduler_table():
    from ..optim import lr_scheduler
    return {n: getattr(lr_scheduler, n) for n in lr_scheduler.__all__ if n != "LRScheduler"}


def loss_table():
    from .. import nn
    from ..nn import functional as F
    table = {n: getattr(nn, n) for n in dir(nn) if n.endswith("Loss") and isinstance(getattr(nn, n), type)
             and n not in ("_Loss", "_WeightedLoss")}
    extra = ("cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div")
    table.update({n: getattr(F, n) for n in dir(F) if (n.endswith("_loss") or n in extra) and not n.startswith("_")
                  and callable(getattr(F, n))})
    return table


def build_loss(config):
    spec = config["loss"]
    spec = spec if isinstance(spec, dict) else {"type": spec, "args": {}}
    key = "loss" if isinstance(config["loss"], str) else "loss.type"
    obj = resolve(spec["type"], key, loss_table(), "loss")
    args = dict(spec.get("args", {}))
    if isinstance(obj, type):
        return build(obj, args, "loss")
    if args:
        from .config import check_args
        check_args(obj, args, "loss", injected=("input", "target"))
        return functools.partial(obj, **args)
    return obj


def pick_device(name, n_gpu, logger=None):
    from .. import cuda, device
    if name is None:
        if n_gpu > 0 and not cuda.is_available():
            if logger:
                logger.warning(f"config asks for n_gpu={n_gpu} but CUDA is not available: training on the CPU")
            return device("cpu")
        return device("cuda" if n_gpu > 0 else "cpu")
    if not re.fullmatch(r"cpu|cuda(:\d+)?", name):
        raise UsageError(f"--device must be 'cpu', 'cuda' or 'cuda:N', got '{name}'")
    if name.startswith("cuda") and not cuda.is_available():
        raise UsageError(f"--device {name}: CUDA is not available here (ember.cuda.is_available() is False; "
                         "it needs CuPy and an NVIDIA GPU); use --device cpu")
    return device(name)


def seed_everything(seed):
    import ember
    ember.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)


def build_experiment(config, device=None):
    """(model, criterion, metrics, optimizer, lr_scheduler, data_loader) from a ConfigParser.

    Everything is built before any file is written, so a bad config leaves nothing behind."""
    from .data import DATA_LOADERS
    from .metrics import resolve_metric
    from .models import model_table
    data_loader = config.init_obj("data_loader", DATA_LOADERS, "data loader")
    model = config.init_obj("arch", model_table(), "model")
    if device is not None:
        model.to(device)
    criterion = build_loss(config)
    metrics = [resolve_metric(m, i) for i, m in enumerate(config["metrics"])]
    optimizer = config.init_obj("optimizer", optimizer_table(), "optimizer", model.parameters(),
                                injected=("params",))
    scheduler = None
    if config.get("lr_scheduler"):
        scheduler = config.init_obj("lr_scheduler", scheduler_table(), "lr scheduler", optimizer,
                                    injected=("optimizer",))
    return model, criterion, metrics, optimizer, scheduler, data_loader


# ---- argument parsing -----------------------------------------------------------------------------------
def _overrides(args):
    out = {}
    for key, dotted in (("lr", "optimizer.args.lr"), ("bs", "data_loader.args.batch_size"),
                        ("epochs", "trainer.epochs"), ("num_workers", "data_loader.args.num_workers"),
                        ("seed", "seed"), ("save_dir", "trainer.save_dir"), ("name", "name")):
        value = getattr(args, key, None)
        if value is not None:
            out[dotted] = value
    for item in getattr(args, "options", None) or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"-o/--option expects KEY=VALUE (e.g. optimizer.args.lr=0.01), got '{item}'")
        out[key.strip()] = parse_value(value.strip())
    return out


def _common(p, resume_required=False):
    p.add_argument("-c", "--config", help="JSON config file (pytorch-template format); default: the digits config")
    p.add_argument("-r", "--resume", required=resume_required, metavar="PATH", help="checkpoint to resume from")
    p.add_argument("-d", "--device", help="cpu, cuda or cuda:N (default: from n_gpu in the config)")
    p.add_argument("--num-workers", type=int, help="DataLoader worker processes")
    p.add_argument("--traceback", action="store_true", help="show the full traceback of an error")


def make_parser():
    parser = argparse.ArgumentParser(prog="ember", description="ember: train, evaluate and use models.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    t = sub.add_parser("train", help="train a model (default: a small CNN on the shipped digits data)")
    _common(t)
    t.add_argument("--lr", type=float, help="learning rate (optimizer.args.lr)")
    t.add_argument("--bs", "--batch-size", dest="bs", type=int, help="batch size (data_loader.args.batch_size)")
    t.add_argument("--epochs", type=int, help="number of epochs (trainer.epochs)")
    t.add_argument("--seed", type=int, help="random seed (default: the config's, else 0)")
    t.add_argument("--save-dir", help="where runs/<name>/<timestamp>/ go (trainer.save_dir)")
    t.add_argument("--name", help="experiment name (config name)")
    t.add_argument("--run-id", help="run directory name instead of the timestamp")
    t.add_argument("--deterministic", action="store_true", help="use deterministic algorithms only")
    t.add_argument("-o", "--option", dest="options", action="append", metavar="KEY=VALUE",
                   help="set any config key, e.g. -o optimizer.args.lr=0.01 (value parsed as JSON)")
    e = sub.add_parser("test", help="evaluate a checkpoint on the test split")
    _common(e, resume_required=True)
    e.add_argument("--bs", "--batch-size", dest="bs", type=int, default=256, help="batch size")
    pr = sub.add_parser("predict", help="classify image files with a checkpoint")
    pr.add_argument("-r", "--resume", required=True, metavar="PATH", help="checkpoint")
    pr.add_argument("images", nargs="+", metavar="IMAGE")
    pr.add_argument("-k", "--topk", type=int, default=3, help="classes to show per image")
    pr.add_argument("-d", "--device")
    pr.add_argument("--traceback", action="store_true")
    n = sub.add_parser("new-project", help="write a runnable project skeleton into DIR")
    n.add_argument("directory", metavar="DIR")
    n.add_argument("--force", action="store_true", help="write into a non-empty directory")
    n.add_argument("--traceback", action="store_true")
    return parser


# ---- commands -------------------------------------------------------------------------------------------
def cmd_train(args):
    from .trainer import Trainer, evaluate, setup_logging
    ckpt = load_checkpoint(args.resume) if args.resume else None
    if args.config or ckpt is None:
        base = load_config(args.config) if args.config else load_config(_default_config())
    else:
        base = ckpt.get("config")
        if not isinstance(base, dict):
            raise CheckpointError(f"checkpoint '{args.resume}' holds no config; pass one with --config")
    config = ConfigParser(base, _overrides(args), run_id=args.run_id, resume=args.resume)
    verbosity = config["trainer"]["verbosity"]
    logger = setup_logging(None, verbosity)
    device = pick_device(args.device, config["n_gpu"], logger)
    if args.deterministic:
        import ember
        if hasattr(ember, "use_deterministic_algorithms"):
            ember.use_deterministic_algorithms(True)
    seed = config.get("seed")
    seed_everything(0 if seed is None else seed)
    model, criterion, metrics, optimizer, scheduler, data_loader = build_experiment(config, device)
    valid_loader = data_loader.split_validation() if hasattr(data_loader, "split_validation") else None
    run_dir = config.save_dir   # created (and checked for writability) only now
    logger = setup_logging(os.path.join(run_dir, "train.log"), verbosity)
    config.write()
    n_params = sum(p.numel() for p in model.parameters())
    logger.info(f"{config['name']}: {type(model).__name__} ({n_params:,} parameters), "
                f"{len(data_loader.dataset)} training / {len(valid_loader.dataset) if valid_loader else 0} "
                f"validation samples, {config['trainer']['epochs']} epochs on {device}")
    logger.debug(f"model:\n{model}")
    trainer = Trainer(model, criterion, metrics, optimizer, config, data_loader, valid_loader, scheduler,
                      device=device)
    if ckpt is not None:
        trainer.resume(args.resume, ckpt)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)   # Ctrl-C even when started with SIGINT ignored
    start = time.time()
    try:
        trainer.train()
    except KeyboardInterrupt:
        where = trainer.interrupted_path
        done = trainer.completed_epoch >= trainer.epoch
        msg = f"\ninterrupted {'after' if done else 'during'} epoch {trainer.epoch}"
        msg += (f"; checkpoint saved to {where}\nresume with: ember train --resume {where}" if where
                else "; no checkpoint written")
        logger.warning(msg)
        return 130
    logger.info(f"training took {time.time() - start:.1f}s")
    test_loader = data_loader.split_test() if hasattr(data_loader, "split_test") else None
    if test_loader is not None:
        label = "final weights"
        if trainer.best_path:
            from ..serialization import load
            model.load_state_dict(load(trainer.best_path, map_location="cpu")["state_dict"])
            label = f"best checkpoint, {trainer.monitor_key} {trainer.mnt_best:.4f}"
        res = evaluate(model, criterion, metrics, test_loader, device)
        logger.info(f"test ({label}): " + "  ".join(f"{k} {v:.4f}" for k, v in res.items()))
    logger.info(f"run directory: {run_dir}")
    for label, path in (("best checkpoint", trainer.best_path), ("plot", trainer.plot_path)):
        if path:
            logger.info(f"  {label}: {path}")
    logger.info(f"  log: {os.path.join(run_dir, 'train.log')}  config: {os.path.join(run_dir, 'config.json')}")
    if any(f.startswith("events.out.tfevents") for f in os.listdir(run_dir)):
        logger.info(f"  tensorboard: tensorboard --logdir {run_dir}")
    return 0


def _default_config():
    from .config import default_config_path
    return default_config_path()


def _model_from_checkpoint(args, ckpt, config_dict):
    from .models import model_table
    config = ConfigParser(config_dict)
    model = config.init_obj("arch", model_table(), "model")
    check_state_dict(model, ckpt["state_dict"], args.resume)
    model.load_state_dict(ckpt["state_dict"])
    return config, model


def cmd_test(args):
    from .trainer import evaluate
    from .metrics import resolve_metric
    ckpt = load_checkpoint(args.resume)
    base = load_config(args.config) if args.config else ckpt.get("config")
    if not isinstance(base, dict):
        raise CheckpointError(f"checkpoint '{args.resume}' holds no config; pass one with --config")
    if args.num_workers is not None:
        base.setdefault("data_loader", {}).setdefault("args", {})["num_workers"] = args.num_workers
    config, model = _model_from_checkpoint(args, ckpt, base)
    device = pick_device(args.device, 0)
    model.to(device)
    from .data import DATA_LOADERS
    data_loader = config.init_obj("data_loader", DATA_LOADERS, "data loader")
    loader = data_loader.split_test(args.bs) if hasattr(data_loader, "split_test") else None
    if loader is None:
        raise ConfigError("the data loader has no test split (set data_loader.args.test_split)")
    metrics = [resolve_metric(m, i) for i, m in enumerate(config["metrics"])]
    res = evaluate(model, build_loss(config), metrics, loader, device)
    print(f"test: {len(loader.dataset)} samples, checkpoint {args.resume} (epoch {ckpt.get('epoch', '?')})")
    print("  ".join(f"{k} {v:.4f}" for k, v in res.items()))
    return 0


def load_image(path, spec):
    """An image file as a 1xCxHxW float32 array prepared like the training inputs described by spec."""
    try:
        from PIL import Image
    except ImportError:
        raise UsageError("ember predict needs Pillow (pip install Pillow)") from None
    c, h, w = spec["shape"]
    try:
        with Image.open(path) as im:
            im = im.convert("L" if c == 1 else "RGB").resize((w, h), Image.BOX)
            arr = np.asarray(im, dtype=np.float32) / 255.0
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read image '{path}': {e}") from None
    arr = arr.reshape(h, w, -1).transpose(2, 0, 1)
    if spec.get("invert_light_background") and arr.mean() > 0.5:
        arr = 1.0 - arr   # the training data has light strokes on a dark background
    mean = np.asarray(spec.get("mean", [0.0]), dtype=np.float32).reshape(-1, 1, 1)
    std = np.asarray(spec.get("std", [1.0]), dtype=np.float32).reshape(-1, 1, 1)
    return ((arr - mean) / std)[None].astype(np.float32)


def cmd_predict(args):
    from .. import no_grad, tensor
    ckpt = load_checkpoint(args.resume)
    spec = ckpt.get("input_spec")
    if not spec or "shape" not in spec:
        raise CheckpointError(f"checkpoint '{args.resume}' does not describe its inputs (no input_spec)")
    config, model = _model_from_checkpoint(args, ckpt, ckpt.get("config"))
    device = pick_device(args.device, 0)
    model.to(device).eval()
    classes = spec.get("classes") or []
    for path in args.images:
        x = tensor(load_image(path, spec)).to(device)
        with no_grad():
            probs = model(x).softmax(dim=1)[0]
        k = max(1, min(args.topk, probs.shape[0]))
        top = probs.topk(k)
        parts = []
        for p, i in zip(top.values.tolist(), top.indices.tolist()):
            label = classes[i] if i < len(classes) else str(i)
            parts.append(f"{label} ({p:.3f})")
        print(f"{path}: {', '.join(parts)}")
    return 0


def cmd_new_project(args):
    from .scaffold import new_project
    written = new_project(args.directory, force=args.force)
    print(f"wrote {len(written)} files into {args.directory}")
    print(f"next: cd {args.directory} && python train.py -c config.json")
    return 0


COMMANDS = {"train": cmd_train, "test": cmd_test, "predict": cmd_predict, "new-project": cmd_new_project}


def main(argv=None):
    parser = make_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        parser.print_help()
        return 2
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print(f"\nember {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:   # one line for the user; --traceback for the details
        if getattr(args, "traceback", False) or os.environ.get("EMBER_TRACEBACK"):
            raise
        known = (ConfigError, CheckpointError, UsageError)
        text = str(e).strip().splitlines()[0] if str(e).strip() else ""
        msg = text if isinstance(e, known) else f"{type(e).__name__}: {text}"
        print(f"ember {args.command}: error: {msg}", file=sys.stderr)
        return 2 if isinstance(e, (ConfigError, UsageError)) else 1


if __name__ == "__main__":
    sys.exit(main())

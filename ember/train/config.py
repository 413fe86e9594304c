"""Experiment configuration: the pytorch-template JSON format, validation, overrides, object building.

A config is a JSON object::

    {"name": "digits", "n_gpu": 0, "seed": 0,
     "arch": {"type": "DigitsCNN", "args": {}},
     "data_loader": {"type": "DigitsDataLoader", "args": {"batch_size": 64}},
     "optimizer": {"type": "Adam", "args": {"lr": 0.002}},
     "loss": "cross_entropy", "metrics": ["accuracy", "top_k_acc"],
     "lr_scheduler": {"type": "CosineAnnealingLR", "args": {"T_max": 12}},
     "trainer": {"epochs": 12, "save_dir": "runs/", "save_period": 5, "verbosity": 2,
                 "monitor": "max val_accuracy", "early_stop": 10, "tensorboard": true}}

Every problem is reported as a ConfigError whose message names the offending key and what is allowed.
"""
import copy
import difflib
import importlib
import inspect
import json
import os

__all__ = ["ConfigError", "ConfigParser", "load_config", "validate", "apply_overrides", "resolve",
           "check_args", "default_config_path", "TRAINER_DEFAULTS"]

_HERE = os.path.dirname(os.path.abspath(__file__))


class ConfigError(ValueError):
    """A problem with the experiment configuration (message names the key and the allowed values)."""


TOP_KEYS = ("name", "n_gpu", "seed", "arch", "data_loader", "optimizer", "loss", "metrics", "lr_scheduler", "trainer")
REQUIRED = ("arch", "data_loader", "optimizer", "loss")
TRAINER_DEFAULTS = {"epochs": 10, "save_dir": "runs/", "save_period": 1, "verbosity": 2, "monitor": "off",
                    "early_stop": 0, "tensorboard": True}


def default_config_path():
    return os.path.join(_HERE, "configs", "digits.json")


def load_config(path):
    """Read a JSON config file (ConfigError when missing or malformed)."""
    if not os.path.isfile(path):
        raise ConfigError(f"config file not found: '{path}'")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ConfigError(f"config file '{path}' is not valid JSON: {e}") from None
    except OSError as e:
        raise ConfigError(f"cannot read config file '{path}': {e.strerror}") from None


# ---- validation ------------------------------------------------------------------------------------
def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _check_spec(cfg, key, optional=False):
    spec = cfg.get(key)
    if spec is None and optional:
        return
    if not isinstance(spec, dict):
        raise ConfigError(f"config key '{key}' must be an object {{\"type\": ..., \"args\": {{...}}}}, "
                          f"got {json.dumps(spec)}")
    bad = sorted(set(spec) - {"type", "args"})
    if bad:
        raise ConfigError(f"config key '{key}.{bad[0]}' is not allowed; allowed keys: type, args")
    if not isinstance(spec.get("type"), str) or not spec["type"]:
        raise ConfigError(f"config key '{key}.type' must be a non-empty string")
    if not isinstance(spec.get("args", {}), dict):
        raise ConfigError(f"config key '{key}.args' must be an object of keyword arguments")


def parse_monitor(value):
    """'min val_loss' -> ('min', 'val_loss'); 'off' -> ('off', None)."""
    if value == "off":
        return "off", None
    parts = value.split() if isinstance(value, str) else []
    if len(parts) != 2 or parts[0] not in ("min", "max"):
        raise ConfigError(f"config key 'trainer.monitor' must be \"off\" or \"min <metric>\" / \"max <metric>\" "
                          f"(e.g. \"min val_loss\"), got {json.dumps(value)}")
    return parts[0], parts[1]


def metric_name(entry):
    """Name a metric is logged under: 'accuracy', 'top_k_acc', 'module:fn' -> 'fn'."""
    name = entry["type"] if isinstance(entry, dict) else entry
    return name.rsplit(":", 1)[-1]


def validate(cfg):
    """Check the structure of a config dict; fills in trainer defaults. Returns cfg."""
    if not isinstance(cfg, dict):
        raise ConfigError("a config must be a JSON object")
    for k in cfg:
        if k not in TOP_KEYS and not k.startswith("_"):
            raise ConfigError(f"unknown config key '{k}'; allowed keys: {', '.join(TOP_KEYS)}")
    for k in REQUIRED:
        if k not in cfg:
            raise ConfigError(f"config key '{k}' is missing (required: {', '.join(REQUIRED)})")
    cfg.setdefault("name", "experiment")
    if not isinstance(cfg["name"], str) or not cfg["name"] or "/" in cfg["name"] or cfg["name"] in (".", ".."):
        raise ConfigError(f"config key 'name' must be a non-empty string without '/', got {json.dumps(cfg['name'])}")
    cfg.setdefault("n_gpu", 0)
    if not _is_int(cfg["n_gpu"]) or cfg["n_gpu"] < 0:
        raise ConfigError(f"config key 'n_gpu' must be an integer >= 0, got {json.dumps(cfg['n_gpu'])}")
    if "seed" in cfg and cfg["seed"] is not None and not _is_int(cfg["seed"]):
        raise ConfigError(f"config key 'seed' must be an integer or null, got {json.dumps(cfg['seed'])}")
    for k in ("arch", "data_loader", "optimizer"):
        _check_spec(cfg, k)
    _check_spec(cfg, "lr_scheduler", optional=True)
    loss = cfg["loss"]
    if isinstance(loss, dict):
        _check_spec(cfg, "loss")
    elif not isinstance(loss, str) or not loss:
        raise ConfigError("config key 'loss' must be a loss name (e.g. \"cross_entropy\", \"CrossEntropyLoss\") "
                          "or {\"type\": ..., \"args\": {...}}")
    metrics = cfg.setdefault("metrics", [])
    if not isinstance(metrics, list):
        raise ConfigError("config key 'metrics' must be a list of metric names")
    for i, m in enumerate(metrics):
        if isinstance(m, dict):
            _check_spec({f"metrics[{i}]": m}, f"metrics[{i}]")
        elif not isinstance(m, str) or not m:
            raise ConfigError(f"config key 'metrics[{i}]' must be a metric name, got {json.dumps(m)}")
    tr = cfg.setdefault("trainer", {})
    if not isinstance(tr, dict):
        raise ConfigError("config key 'trainer' must be an object")
    for k in tr:
        if k not in TRAINER_DEFAULTS and not k.startswith("_"):
            raise ConfigError(f"unknown config key 'trainer.{k}'; allowed keys: {', '.join(TRAINER_DEFAULTS)}")
    for k, v in TRAINER_DEFAULTS.items():
        tr.setdefault(k, v)
    for k, lo in (("epochs", 1), ("save_period", 1), ("early_stop", 0)):
        if not _is_int(tr[k]) or tr[k] < lo:
            raise ConfigError(f"config key 'trainer.{k}' must be an integer >= {lo}, got {json.dumps(tr[k])}")
    if tr["verbosity"] not in (0, 1, 2) or isinstance(tr["verbosity"], bool):
        raise ConfigError(f"config key 'trainer.verbosity' must be one of 0, 1, 2, got {json.dumps(tr['verbosity'])}")
    if not isinstance(tr["save_dir"], str) or not tr["save_dir"]:
        raise ConfigError("config key 'trainer.save_dir' must be a non-empty path string")
    if not isinstance(tr["tensorboard"], bool):
        raise ConfigError(f"config key 'trainer.tensorboard' must be true or false, got {json.dumps(tr['tensorboard'])}")
    mode, key = parse_monitor(tr["monitor"])
    if mode != "off":
        names = ["loss"] + [metric_name(m) for m in metrics]
        allowed = names + ["val_" + n for n in names]
        if key not in allowed:
            raise ConfigError(f"config key 'trainer.monitor' refers to '{key}', which is not logged; "
                              f"allowed: {', '.join(allowed)}")
    return cfg


# ---- overrides -------------------------------------------------------------------------------------
def parse_value(text):
    """'0.01' -> 0.01, 'true' -> True, '[1,2]' -> [1, 2], 'null' -> None, anything else stays a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_overrides(cfg, overrides):
    """Set dotted keys: {'optimizer.args.lr': 0.01}. Intermediate objects must exist (except 'args')."""
    for dotted, value in overrides.items():
        keys = dotted.split(".")
        node = cfg
        for i, k in enumerate(keys[:-1]):
            if not isinstance(node, dict):
                raise ConfigError(f"override '{dotted}': '{'.'.join(keys[:i])}' is not an object")
            if k not in node:
                if k == "args" or k == "trainer":
                    node[k] = {}
                else:
                    raise ConfigError(f"override '{dotted}': config has no key '{'.'.join(keys[:i + 1])}'; "
                                      f"existing keys: {', '.join(node) or '(none)'}")
            node = node[k]
        if not isinstance(node, dict):
            raise ConfigError(f"override '{dotted}': '{'.'.join(keys[:-1])}' is not an object")
        node[keys[-1]] = value
    return cfg


# ---- resolving "type" names ------------------------------------------------------------------------
def import_object(spec, key):
    """'package.module:Name' -> the object (ConfigError naming key when it cannot be imported)."""
    mod_name, _, attr = spec.partition(":")
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as e:
        raise ConfigError(f"config key '{key}': cannot import module '{mod_name}' ({e})") from None
    obj = mod
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"config key '{key}': module '{mod_name}' has no attribute '{attr}'")
        obj = getattr(obj, part)
    return obj


def resolve(name, key, table, what):
    """Look name up in table (dict name -> object, or a module) or import 'package.module:Name'."""
    if not isinstance(table, dict):
        table = {k: v for k, v in vars(table).items() if not k.startswith("_") and callable(v)}
    if ":" in name:
        return import_object(name, key)
    if name in table:
        return table[name]
    close = difflib.get_close_matches(name, list(table), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise ConfigError(f"config key '{key}': unknown {what} '{name}'{hint}; allowed: {', '.join(sorted(table))}, "
                      f"or 'package.module:ClassName'")


def check_args(obj, args, key, injected=()):
    """Check keyword names (and required ones) against obj's signature; `injected` are supplied by ember."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return
    params = [p for n, p in sig.parameters.items() if n != "self"]
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    accepted = [n for n in names if n not in injected]
    label = getattr(obj, "__name__", str(obj))
    for a in args:
        if a not in accepted:
            close = difflib.get_close_matches(a, accepted, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"config key '{key}.args': {label} got an unexpected argument '{a}'{hint}; "
                              f"accepted: {', '.join(accepted) or '(none)'}")
    skip = len(injected)   # injected values are passed positionally, first
    for i, p in enumerate(params):
        required = p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        if required and i >= skip and p.name not in args:
            raise ConfigError(f"config key '{key}.args': {label} requires argument '{p.name}'; "
                              f"accepted: {', '.join(accepted)}")


def build(obj, spec_args, key, *injected_values, injected=()):
    """Call obj(*injected_values, **spec_args) after checking the argument names."""
    check_args(obj, spec_args, key, injected)
    try:
        return obj(*injected_values, **spec_args)
    except ConfigError:
        raise
    except (TypeError, ValueError) as e:
        raise ConfigError(f"config key '{key}': {getattr(obj, '__name__', obj)}(...) rejected its arguments: {e}") \
            from None


class ConfigParser:
    """A validated config plus the run directory it writes into (`runs/<name>/<run_id>/`)."""

    def __init__(self, config, overrides=None, run_id=None, resume=None):
        cfg = copy.deepcopy(config)
        apply_overrides(cfg, overrides or {})
        self.config = validate(cfg)
        self.resume = resume
        self.run_id = run_id
        self._save_dir = None

    @classmethod
    def from_file(cls, path=None, overrides=None, **kw):
        return cls(load_config(path or default_config_path()), overrides, **kw)

    def __getitem__(self, key):
        return self.config[key]

    def __contains__(self, key):
        return key in self.config

    def get(self, key, default=None):
        return self.config.get(key, default)

    @property
    def save_dir(self):
        """The run directory, created on first use (ConfigError when it cannot be written)."""
        if self._save_dir is None:
            import datetime
            base = os.path.join(self.config["trainer"]["save_dir"], self.config["name"])
            run_id = self.run_id or datetime.datetime.now().strftime("%m%d_%H%M%S")
            path, n = os.path.join(base, run_id), 1
            while os.path.exists(path) and not self.run_id:
                path, n = os.path.join(base, f"{run_id}_{n}"), n + 1
            try:
                os.makedirs(path, exist_ok=True)
                probe = os.path.join(path, ".write-test")
                with open(probe, "w"):
                    pass
                os.unlink(probe)
            except OSError as e:
                raise ConfigError(f"config key 'trainer.save_dir': cannot write run directory '{path}': "
                                  f"{e.strerror or e}") from None
            self._save_dir = path
        return self._save_dir

    def write(self, path=None):
        path = path or os.path.join(self.save_dir, "config.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.config, f, indent=2)
            f.write("\n")
        return path

    def init_obj(self, key, table, what, *injected_values, injected=()):
        """Build config[key] = {"type", "args"} from table (or an import path)."""
        spec = self.config[key]
        obj = resolve(spec["type"], f"{key}.type", table, what)
        return build(obj, dict(spec.get("args", {})), key, *injected_values, injected=injected)

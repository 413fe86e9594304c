import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIGITS_CONFIG = os.path.join(REPO, "ember", "train", "configs", "digits.json")


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = REPO + os.pathsep + e.get("PYTHONPATH", "")
    e["MPLBACKEND"] = "Agg"
    e["PYTHONUNBUFFERED"] = "1"
    return e


def ember_cmd(*args):
    return [sys.executable, "-m", "ember", *map(str, args)]


def run_ember(*args, cwd=None, timeout=300):
    return subprocess.run(ember_cmd(*args), cwd=cwd, env=env(), capture_output=True, text=True, timeout=timeout)


def write_config(path, **changes):
    """The digits config with dotted-key changes, written to path."""
    with open(DIGITS_CONFIG) as f:
        cfg = json.load(f)
    for dotted, value in changes.items():
        node = cfg
        *head, last = dotted.split("__")
        for k in head:
            node = node.setdefault(k, {})
        node[last] = value
    with open(path, "w") as f:
        json.dump(cfg, f)
    return str(path)

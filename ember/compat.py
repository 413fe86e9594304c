"""Run PyTorch programs on ember unchanged.

    python -m ember.compat SCRIPT [ARGS...]       # or: python -m ember.compat -m MODULE [ARGS...]

imports `torch`, `torch.*`, `torchvision`, `torchvision.*` as `ember`, `ember.*`, `ember.vision`,
`ember.vision.*`: one module object under both names. In a notebook, call `ember.compat.install()`
before the first `import torch`.
"""
import builtins
import importlib
import importlib.abc
import importlib.util
import io
import os
import runpy
import sys
import types
import zipfile

ALIASES = {"torch": "ember", "torchvision": "ember.vision"}


def _real_name(fullname):
    for alias, real in ALIASES.items():
        if fullname == alias or fullname.startswith(alias + "."):
            return real + fullname[len(alias):]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system the already-imported ember module; there is nothing to execute."""

    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        pass


class AliasFinder(importlib.abc.MetaPathFinder):
    """Meta-path finder resolving the torch/torchvision names to ember modules."""

    def find_spec(self, fullname, path=None, target=None):
        real = _real_name(fullname)
        if real is None:
            return None
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError as exc:
            if exc.name != real:
                raise          # something the ember module itself imports is missing
            raise ModuleNotFoundError(f"No module named '{fullname}' (ember has no '{real}')", name=fullname) from None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module),
                                               is_package=hasattr(module, "__path__"))


def install():
    """Make `import torch` / `import torchvision` (and their submodules) import ember."""
    for alias, real in ALIASES.items():
        loaded = sys.modules.get(alias)
        if loaded is not None and loaded is not sys.modules.get(real):
            raise RuntimeError(f"'{alias}' was imported before ember.compat.install(); restart the interpreter "
                               "and install the aliases first")
    if not any(isinstance(f, AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, AliasFinder())


def _run_script(path):
    """Run a script file as `python SCRIPT` does: __file__ (hence tracebacks and warnings) absolute, sys.argv[0] as
    typed (runpy.run_path would set it to the path it is given)."""
    with io.open_code(path) as f:
        code = compile(f.read(), path, "exec")
    main_module = types.ModuleType("__main__")
    main_module.__dict__.update(__file__=path, __cached__=None, __loader__=None, __package__=None, __spec__=None,
                                __builtins__=builtins)
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = main_module
    try:
        exec(code, main_module.__dict__)
    finally:
        sys.modules["__main__"] = saved


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help") or argv == ["-m"]:
        print(__doc__.strip())
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    install()
    if argv[0] == "-m":
        sys.argv = argv[1:]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv
        path = os.path.abspath(argv[0])
        sys.path[0] = os.path.dirname(path)
        if os.path.isfile(path) and not zipfile.is_zipfile(path):
            _run_script(path)
        else:                                  # a directory or zip file with a __main__.py
            runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`ember new-project DIR`: copy the project skeleton in templates/ into DIR."""
import os
import shutil

from .config import ConfigError

__all__ = ["new_project", "TEMPLATE_DIR"]

TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
_FILLED = (".md", ".json")   # files where "{project}" is replaced by the project's name


def _template_files():
    for root, dirs, files in os.walk(TEMPLATE_DIR):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(root, name), TEMPLATE_DIR)
            if rel == "__init__.py" or name.endswith(".pyc"):
                continue   # the marker that makes templates/ a package is not part of a project
            yield rel


def new_project(directory, force=False):
    """Write the skeleton into directory (created; must be empty unless force). Returns the written paths."""
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise ConfigError(f"'{directory}' exists and is not a directory")
    if os.path.isdir(directory) and os.listdir(directory) and not force:
        raise ConfigError(f"'{directory}' is not empty (use --force to write into it anyway)")
    project = os.path.basename(os.path.abspath(directory)) or "project"
    written = []
    try:
        for rel in _template_files():
            dest = os.path.join(directory, rel)
            os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
            src = os.path.join(TEMPLATE_DIR, rel)
            if rel.endswith(_FILLED):
                with open(src, encoding="utf-8") as f:
                    text = f.read().replace("{project}", project)
                with open(dest, "w", encoding="utf-8") as f:
                    f.write(text)
            else:
                shutil.copyfile(src, dest)
            written.append(dest)
    except OSError as e:
        raise ConfigError(f"cannot write the project into '{directory}': {e.strerror or e}") from None
    return written

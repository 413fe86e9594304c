"""Reading event files back with TensorBoard's own code (shared by the tensorboard tests)."""
import glob
import os

import pytest

pytest.importorskip("tensorboardX")
pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing import event_accumulator  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader  # noqa: E402

SIZE_ALL = {k: 0 for k in ("scalars", "images", "histograms", "compressedHistograms", "tensors", "audio")}


def accumulator(path):
    """TensorBoard's EventAccumulator over one run directory, everything kept (size guidance 0)."""
    acc = event_accumulator.EventAccumulator(str(path), size_guidance=SIZE_ALL)
    acc.Reload()
    return acc


def event_files(logdir):
    return sorted(glob.glob(os.path.join(str(logdir), "events.out.tfevents.*")))


def scalars_in(path):
    """The simple values of one event file's summaries, in file order."""
    return [v.simple_value for ev in LegacyEventFileLoader(path).Load() if ev.HasField("summary")
            for v in ev.summary.value]


def read_events(logdir):
    """All events of the event files directly in logdir (TensorBoard's Event protos), file by file."""
    return [ev for f in event_files(logdir) for ev in LegacyEventFileLoader(f).Load()]


def summary_values(logdir):
    """[(step, Summary.Value)] of every summary event in logdir."""
    return [(ev.step, v) for ev in read_events(logdir) if ev.HasField("summary") for v in ev.summary.value]


def run_dirs(logdir):
    """Directories under logdir (relative, '.' for logdir itself) that hold event files."""
    out = set()
    for root, _dirs, files in os.walk(str(logdir)):
        if any(f.startswith("events.out.tfevents.") for f in files):
            out.add(os.path.relpath(root, str(logdir)))
    return sorted(out)

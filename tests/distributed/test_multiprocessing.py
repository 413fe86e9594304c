"""ember.multiprocessing: spawn / start_processes and their failure reports."""
import pytest

import ember
import ember.multiprocessing as mp

from . import _workers

pytestmark = pytest.mark.multiprocess


def test_stdlib_surface_is_reexported():
    import multiprocessing
    for name in ("Process", "Queue", "Pipe", "get_context", "cpu_count", "set_start_method", "Manager"):
        assert getattr(mp, name) is getattr(multiprocessing, name)
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}


def test_spawn_runs_fn_with_rank(tmp_path):
    assert mp.spawn(_workers.write_rank, args=(str(tmp_path),), nprocs=2) is None
    assert [(tmp_path / f"spawned{r}.txt").read_text() for r in range(2)] == ["[0, 0]", "[1, 2]"]


def test_child_exception_names_rank_and_traceback():
    with pytest.raises(mp.ProcessRaisedException) as e:
        mp.start_processes(_workers.raise_on_rank_one, nprocs=2, start_method="fork")
    assert e.value.error_index == 1
    msg = str(e.value)
    assert "-- Process 1 terminated with the following error:" in msg
    assert "Traceback (most recent call last)" in msg and "ValueError: rank one is unhappy" in msg


def test_child_exit_code_reported():
    with pytest.raises(mp.ProcessExitedException, match="process 1 terminated with exit code 3") as e:
        mp.start_processes(_workers.exit_on_rank_one, nprocs=2, start_method="fork")
    assert (e.value.error_index, e.value.exit_code) == (1, 3)


def test_join_false_returns_context():
    ctx = mp.start_processes(_workers.raise_on_rank_one, nprocs=1, join=False, start_method="fork")
    assert isinstance(ctx, mp.ProcessContext) and len(ctx.pids()) == 1
    assert ctx.join() is True


def _send_tensor(q):
    q.put(ember.arange(6.0).reshape(2, 3) * 2)


def test_tensors_cross_processes_through_a_queue():
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_send_tensor, args=(q,))
    p.start()
    t = q.get()
    p.join()
    assert isinstance(t, ember.Tensor) and t.tolist() == [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]

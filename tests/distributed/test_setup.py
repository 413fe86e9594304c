"""ember.distributed before and around init_process_group, in this process (a world of one)."""
import sys
import threading
from datetime import timedelta

import pytest
import torch
import torch.distributed as tdist

import ember
import ember.distributed as dist

from ._harness import free_port

NOT_INIT = "Default process group has not been initialized, please make sure to call init_process_group."


@pytest.mark.parametrize("call", [lambda: dist.get_rank(), lambda: dist.get_world_size(), lambda: dist.barrier(),
                                  lambda: dist.all_reduce(ember.ones(2)), lambda: dist.get_backend(),
                                  lambda: dist.broadcast(ember.ones(1), 0), lambda: dist.new_group([0])])
def test_errors_before_init(call):
    assert not dist.is_initialized()
    with pytest.raises(ValueError) as e:
        call()
    assert str(e.value) == NOT_INIT


def test_destroy_before_init():
    with pytest.raises(AssertionError, match="Process group cannot be None"):
        dist.destroy_process_group()


def test_backend_errors():
    with pytest.raises(AssertionError, match="Unknown backend type foo"):
        dist.init_process_group("foo", init_method="tcp://127.0.0.1:1", world_size=1, rank=0)
    with pytest.raises(RuntimeError, match="Distributed package doesn't have NCCL built in"):
        dist.init_process_group("nccl", init_method="tcp://127.0.0.1:1", world_size=1, rank=0)
    assert not dist.is_initialized()


def test_mpi_without_mpi4py_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(RuntimeError, match=r"ember\[distributed\]"):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()


def test_rendezvous_errors(monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ValueError, match="environment variable RANK expected, but not set"):
        dist.init_process_group("gloo")
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(ValueError, match="environment variable WORLD_SIZE expected"):
        dist.init_process_group("gloo", init_method="env://")
    with pytest.raises(ValueError, match="tcp:// rendezvous: rank parameter missing"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:1", world_size=1)
    with pytest.raises(ValueError, match="tcp:// rendezvous: world size parameter missing"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:1", rank=0)


def test_reduce_op_and_backend_match_torch():
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"):
        ours, theirs = getattr(dist.ReduceOp, name), getattr(tdist.ReduceOp, name)
        assert (repr(ours), str(ours), int(ours)) == (repr(theirs), str(theirs), int(theirs))
    assert dist.Backend("GLOO") == tdist.Backend("GLOO") == "gloo"
    assert dist.is_available() and dist.is_gloo_available() and not dist.is_nccl_available()


def test_world_of_one():
    dist.init_process_group(init_method=f"tcp://127.0.0.1:{free_port()}", world_size=1, rank=0)
    try:
        assert (dist.is_initialized(), dist.get_rank(), dist.get_world_size(), dist.get_backend()) == \
            (True, 0, 1, "gloo")
        t = ember.tensor([1.0, 2.0], requires_grad=True)
        dist.all_reduce(t, op=dist.ReduceOp.AVG)
        assert t.tolist() == [1.0, 2.0] and t.requires_grad and t.grad_fn is None
        work = dist.broadcast(t, src=0, async_op=True)
        assert work.wait() is True
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


def test_tcp_store():
    master = dist.TCPStore("127.0.0.1", 0, is_master=True, timeout=timedelta(seconds=5))
    client = dist.TCPStore("127.0.0.1", master.port, timeout=timedelta(seconds=5))
    try:
        client.set("k", "v")
        assert master.get("k") == b"v"
        assert master.add("n", 2) == 2 and client.add("n", 3) == 5
        assert client.check(["k", "n"]) and not client.check(["missing"])
        assert client.compare_set("k", "v", "w") == b"w" and master.get("k") == b"w"
        assert master.delete_key("k") and not master.check(["k"])
        got = []
        reader = threading.Thread(target=lambda: got.append(client.get("later")))
        reader.start()                                   # blocks on the server until the key appears
        master.set("later", b"now")
        reader.join()
        assert got == [b"now"]
        with pytest.raises(dist.DistStoreError, match="wait timeout"):
            client.wait(["never"], timedelta(milliseconds=50))
        assert issubclass(dist.DistStoreError, RuntimeError)
    finally:
        client.close()
        master.close()


def test_import_torch_distributed_maps_to_ember():
    import ember.compat  # noqa: F401
    from ember.compat import _real_name
    assert _real_name("torch.distributed") == "ember.distributed"
    assert _real_name("torch.multiprocessing") == "ember.multiprocessing"
    assert ember.distributed is dist and torch.distributed is tdist

"""Collectives and point-to-point on a 2-process gloo world, checked against NumPy."""
import numpy as np
import pytest

from ._harness import run_world
from ._workers import BITWISE, DTYPES, OPS, collectives, env_init, rank_values

WORLD = 2

pytestmark = pytest.mark.multiprocess


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return run_world(collectives, tmp_path_factory.mktemp("coll"), WORLD)


def _expected(op, dtype):
    parts = [rank_values(r, dtype) for r in range(WORLD)]
    if op == "AVG":
        total = parts[0] + parts[1]
        return total // WORLD if np.dtype(dtype).kind in "iu" else (total / np.asarray(WORLD, dtype)).astype(dtype)
    fn = {"SUM": np.add, "PRODUCT": np.multiply, "MIN": np.minimum, "MAX": np.maximum, "BAND": np.bitwise_and,
          "BOR": np.bitwise_or, "BXOR": np.bitwise_xor}[op]
    return fn(parts[0], parts[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_all_reduce_every_op(results, dtype):
    ops = OPS + (BITWISE if dtype.startswith(("int", "uint")) else [])
    for op in ops:
        want = _expected(op, dtype)
        for r in range(WORLD):
            got = results[r][("all_reduce", dtype, op)]
            assert got.dtype == np.dtype(dtype), (op, got.dtype)
            np.testing.assert_array_equal(got, want, err_msg=f"{op} on rank {r}")


def test_broadcast_from_nonzero_source(results):
    for r in range(WORLD):
        np.testing.assert_array_equal(results[r]["broadcast"], np.full((2, 2), 11.0, np.float32))


def test_reduce_only_changes_destination(results):
    np.testing.assert_array_equal(results[1]["reduce"], np.full(3, 6.0, np.float32))
    np.testing.assert_array_equal(results[0]["reduce"], np.full(3, 2.0, np.float32))


def test_gather_family(results):
    for r in range(WORLD):
        assert results[r]["all_gather"] == [[0, 5], [1, 6]]
        assert results[r]["scatter"] == [[1.0, 2.0], [3.0, 4.0]][r]
        assert results[r]["reduce_scatter"] == [[3.0, 6.0], [9.0, 12.0]][r]
        assert results[r]["all_to_all"] == [[[0.0], [10.0]], [[1.0], [11.0]]][r]
        assert results[r]["all_gather_into_tensor"] == [0.0, 0.0, 1.0, -1.0]
    assert results[1]["gather"] == [[0.0], [1.5]]
    assert results[0]["gather"] is None


def test_async_op_returns_work(results):
    for r in range(WORLD):
        assert results[r]["async"] == (True, True, [2.0])


def test_point_to_point(results):
    assert results[0]["isend_irecv"] == [101.0] * 3
    assert results[1]["isend_irecv"] == [100.0] * 3
    assert results[1]["send_recv"] == ([7, 8], [1, 2], 0, 0)


def test_object_collectives(results):
    for r in range(WORLD):
        assert results[r]["broadcast_object_list"] == [{"from": 1}, 1]
        assert results[r]["all_gather_object"] == [("rank", 0), ("rank", 1)]


def test_subgroup(results):
    assert results[1]["subgroup"] == (0, 1, [5.0])
    assert results[0]["subgroup"] == (-1, -1, None)


def test_metadata(results):
    assert [res["meta"] for res in results] == [(0, 2, "gloo", True), (1, 2, "gloo", True)]


def test_errors_inside_a_world(results):
    errs = results[0]["errors"]
    assert errs["send_self"] == ("ValueError", "Invalid destination rank: destination rank should not be the same "
                                               "as the rank of the current process.")
    assert errs["bad_root"] == ("RuntimeError", "ProcessGroupGloo::broadcast: invalid root rank: 3")
    assert errs["short_list"] == ("RuntimeError", "ProcessGroupGloo::allgather: invalid output tensor list at index 0 "
                                                  "(expected length 2, got 1)")
    assert errs["not_tensor"][0] == "TypeError" and "Expected parameter `tensor` of type torch.Tensor" in \
        errs["not_tensor"][1]
    assert errs["twice"] == ("ValueError", "trying to initialize the default process group twice!")
    assert errs["band_float"] == ("RuntimeError", "Cannot use ReduceOp.BAND with non-integral dtype")


def test_env_init(tmp_path):
    assert run_world(env_init, tmp_path, WORLD, init=False) == [(0, 2, 1.0), (1, 2, 1.0)]

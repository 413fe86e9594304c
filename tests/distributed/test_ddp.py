"""DistributedDataParallel: 2 ranks on half batches == 1 process on the full batch."""
import numpy as np
import pytest

import ember
from ember.nn.parallel import DistributedDataParallel

from ._harness import run_world
from ._workers import ddp_train, ddp_unused, train_reference

pytestmark = pytest.mark.multiprocess


def test_two_ranks_match_full_batch_training(tmp_path):
    results = run_world(ddp_train, tmp_path)
    want = train_reference()
    for res in results:
        assert len(res["params"]) == len(want)
        for got, ref in zip(res["params"], want):
            np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    assert results[0]["keys"] == ["module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"]


def test_no_sync_accumulates_locally_then_averages(tmp_path):
    results = run_world(ddp_train, tmp_path, args=(2, True))
    want = train_reference(steps=2, accumulate=True)
    for got, ref in zip(results[0]["params"], want):
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    # inside no_sync the two ranks' gradients stay different (their own half-batches)
    a, b = results[0]["local_grad_after_no_sync"], results[1]["local_grad_after_no_sync"]
    assert not all(np.allclose(x, y) for x, y in zip(a, b))


def test_find_unused_parameters(tmp_path):
    r0, r1 = run_world(ddp_unused, tmp_path)
    assert r0 == r1
    assert r0["a"] == [[1.0, 1.0]] and r0["b"] == [[0.5, 0.5]] and r0["never"] is None


def test_needs_a_process_group():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedDataParallel(ember.nn.Linear(2, 2))
    assert ember.nn.DistributedDataParallel is DistributedDataParallel

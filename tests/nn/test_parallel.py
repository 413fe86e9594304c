"""nn.DataParallel against torch's on a machine without GPUs; with the fake CuPy in tests/cuda."""
import numpy as np

import ember
from tests.helpers import needs_torch, torch


@needs_torch
def test_data_parallel_wraps_like_torch():
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    em = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU(), ember.nn.Linear(4, 2))
    em.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    tp, ep = torch.nn.DataParallel(tm), ember.nn.DataParallel(em)
    assert repr(ep) == repr(tp)
    assert list(ep.state_dict()) == list(tp.state_dict()) and ep.device_ids == tp.device_ids == []
    assert ep.module is em and ember.nn.parallel.DataParallel is ember.nn.DataParallel
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    yt, ye = tp(torch.from_numpy(x)), ep(ember.from_numpy(x))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    yt.sum().backward()
    ye.sum().backward()
    for (n, pt), pe in zip(tm.named_parameters(), em.parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-6, atol=1e-6, err_msg=n)
    # a checkpoint saved from the wrapper loads back into a wrapper (the `module.` prefix)
    again = ember.nn.DataParallel(ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU(), ember.nn.Linear(4, 2)))
    again.load_state_dict(ep.state_dict())
    np.testing.assert_array_equal(again(ember.from_numpy(x)).detach().numpy(), ye.detach().numpy())
    out = ember.nn.parallel.data_parallel(em, ember.from_numpy(x))
    np.testing.assert_array_equal(out.detach().numpy(), ye.detach().numpy())

"""Memory formats (contiguous / channels_last / channels_last_3d / preserve) against torch: strides,
is_contiguous in both senses, values, gradients through the layout changes, rank errors."""
import numpy as np
import pytest

import ember
from tests.helpers import needs_torch, torch

pytestmark = needs_torch

X4 = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
X5 = np.random.default_rng(1).standard_normal((2, 3, 2, 4, 5)).astype(np.float32)

CASES = [
    ("to channels_last", X4, lambda m, x: x.to(memory_format=m.channels_last)),
    ("to dtype and channels_last", X4, lambda m, x: x.to(m.float64, memory_format=m.channels_last)),
    ("contiguous channels_last", X4, lambda m, x: x.contiguous(memory_format=m.channels_last)),
    ("clone channels_last", X4, lambda m, x: x.clone(memory_format=m.channels_last)),
    ("clone preserves", X4, lambda m, x: x.to(memory_format=m.channels_last).clone()),
    ("back to contiguous", X4, lambda m, x: x.to(memory_format=m.channels_last).contiguous()),
    ("elementwise keeps channels_last", X4, lambda m, x: (x.to(memory_format=m.channels_last) * 2).relu()),
    ("channels_last_3d", X5, lambda m, x: x.to(memory_format=m.channels_last_3d)),
    ("zeros_like preserves", X4, lambda m, x: _cl(m, x) + m.zeros_like(_cl(m, x))),
    ("zeros_like contiguous_format", X4, lambda m, x: x + m.zeros_like(_cl(m, x), memory_format=m.contiguous_format)),
    ("full_like preserves", X4, lambda m, x: _cl(m, x) * m.full_like(_cl(m, x), 2.0)),
    ("empty_like preserves", X4, lambda m, x: _cl(m, x) + m.empty_like(_cl(m, x)).zero_()),
]


def _cl(m, x):
    return x.to(memory_format=m.channels_last)


@pytest.mark.parametrize("name,x,fn", CASES, ids=[c[0] for c in CASES])
def test_layouts_like_torch(name, x, fn):
    res = []
    for m in (torch, ember):
        t = m.from_numpy(x.copy()).requires_grad_()
        y = fn(m, t)
        fmts = [m.contiguous_format, m.channels_last] if x.ndim == 4 else [m.contiguous_format, m.channels_last_3d]
        y.backward(m.ones_like(y))
        res.append((y.stride(), [y.is_contiguous(memory_format=f) for f in fmts], y.detach().numpy().tolist(),
                    t.grad.numpy().tolist()))
    assert res[0] == res[1]


def test_empty_in_channels_last_and_rank_errors():
    assert ember.empty(2, 3, 4, 5, memory_format=ember.channels_last).stride() == \
        torch.empty(2, 3, 4, 5, memory_format=torch.channels_last).stride()
    for call in (lambda m: m.randn(2, 3, 4).contiguous(memory_format=m.channels_last),
                 lambda m: m.empty(2, 3, memory_format=m.channels_last),
                 lambda m: m.randn(2, 3, 4, 5).to(memory_format=m.channels_last_3d)):
        msgs = []
        for m in (torch, ember):
            with pytest.raises(RuntimeError) as e:
                call(m)
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]
    assert repr(ember.channels_last_3d) == "ember.channels_last_3d"

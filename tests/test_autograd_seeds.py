"""The seeds' autograd examples, run with `import ember as torch`."""
import ember as torch
from tests.helpers import needs_torch


def test_seed001_mean_grad():
    x = torch.ones(3, 3, requires_grad=True)
    y = x + 5
    assert repr(y) == ("tensor([[6., 6., 6.],\n        [6., 6., 6.],\n        [6., 6., 6.]], "
                       "grad_fn=<AddBackward0>)")
    out = (y * y).mean()
    assert repr(out) == "tensor(36., grad_fn=<MeanBackward0>)"
    out.backward()
    assert repr(x.grad) == ("tensor([[1.3333, 1.3333, 1.3333],\n        [1.3333, 1.3333, 1.3333],\n"
                            "        [1.3333, 1.3333, 1.3333]])")


def test_seed001_vector_backward():
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x * 2
    for _ in range(9):
        y = y * 2
    y.backward(torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float))
    assert repr(x.grad) == "tensor([1.0240e+02, 1.0240e+03, 1.0240e-01])"


def test_seed003_Q():
    a = torch.tensor([2., 3.], requires_grad=True)
    b = torch.tensor([6., 4.], requires_grad=True)
    Q = 3 * a ** 3 - b ** 2
    Q.backward(gradient=torch.tensor([1., 1.]))
    assert a.grad.tolist() == [36., 81.]
    assert b.grad.tolist() == [-12., -8.]


def test_seed002_no_grad_nesting():
    x = torch.Tensor(1)
    y = torch.ones(1, requires_grad=True)
    with torch.no_grad():
        z = x * y
        with torch.enable_grad():
            w = x * y
    assert not z.requires_grad
    assert w.requires_grad


def test_second_backward_through_freed_graph_raises():
    x = torch.ones(2, requires_grad=True)
    y = (x.exp()).sum()
    y.backward()
    try:
        y.backward()
    except RuntimeError as e:
        assert "backward through the graph a second time" in str(e)
    else:
        raise AssertionError("expected RuntimeError")


def test_scalar_output_check():
    x = torch.ones(2, requires_grad=True)
    try:
        (x * 2).backward()
    except RuntimeError as e:
        assert str(e) == "grad can be implicitly created only for scalar outputs"
    else:
        raise AssertionError("expected RuntimeError")

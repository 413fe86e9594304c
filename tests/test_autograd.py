"""Autograd engine behaviours compared with torch: Function, hooks, retain_grad, grad(), anomaly mode."""
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import needs_torch, torch

pytestmark = needs_torch


def both(fn):
    """Run fn(lib) for ember and torch; return both results."""
    return fn(ember), fn(torch)


def _my_relu(lib):
    class MyReLU(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input
    return MyReLU


def test_seed_hand_written_relu_function_trains_two_layer_net():
    def run(lib):
        lib.manual_seed(0) if lib is torch else None
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((16, 10)))
        y = lib.tensor(rng.standard_normal((16, 2)))
        w1 = lib.tensor(rng.standard_normal((10, 8)), requires_grad=True)
        w2 = lib.tensor(rng.standard_normal((8, 2)), requires_grad=True)
        relu = _my_relu(lib).apply
        losses = []
        for _ in range(5):
            y_pred = relu(x.mm(w1)).mm(w2)
            loss = (y_pred - y).pow(2).sum()
            losses.append(loss.item())
            loss.backward()
            with lib.no_grad():
                w1 -= 1e-3 * w1.grad
                w2 -= 1e-3 * w2.grad
                w1.grad.zero_()
                w2.grad.zero_()
        return losses, y_pred.grad_fn.name()
    (le, ne), (lt, nt) = both(run)
    np.testing.assert_allclose(le, lt, rtol=1e-10)
    assert ne == nt == "MmBackward0"


def test_function_ctx_features():
    def run(lib):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                ctx.k = k
                ctx.mark_non_differentiable
                return x * k, (x > 0)

            @staticmethod
            def backward(ctx, g, g_mask):
                assert ctx.needs_input_grad == (True, False)
                return g * ctx.k, None
        x = lib.tensor([1., -2., 3.], requires_grad=True)
        out, mask = Scale.apply(x, 3.0)
        out.sum().backward()
        return x.grad.tolist(), mask.requires_grad, out.grad_fn.name()
    e, t = both(run)
    assert e[:2] == t[:2] and e[2] == t[2] == "ScaleBackward"


def test_hooks_and_retain_grad():
    def run(lib):
        x = lib.tensor([1., 2., 3.], requires_grad=True)
        seen = []
        x.register_hook(lambda g: seen.append(g.tolist()))
        y = x * 2
        y.retain_grad()
        h = y.register_hook(lambda g: g * 10)
        z = (y * y).sum()
        z.backward()
        h.remove()
        return x.grad.tolist(), y.grad.tolist(), seen, y.is_leaf, y.retains_grad
    assert both(run)[0] == both(run)[1]


def test_autograd_grad_create_graph_and_allow_unused():
    def run(lib):
        x = lib.tensor([0.5, 1.5], requires_grad=True)
        w = lib.tensor([2.0], requires_grad=True)
        unused = lib.tensor([1.0], requires_grad=True)
        y = (x ** 3 * w).sum()
        gx, gu = lib.autograd.grad(y, [x, unused], create_graph=True, allow_unused=True)
        ggx, = lib.autograd.grad(gx.sum(), x)
        with pytest.raises(RuntimeError) as ei:
            lib.autograd.grad((x * 2).sum(), [x, unused])
        return gx.tolist(), gu, ggx.tolist(), "appears to not have been used" in str(ei.value)
    assert both(run)[0] == both(run)[1]


def test_backward_inputs_and_accumulation():
    def run(lib):
        a = lib.tensor([1., 2.], requires_grad=True)
        b = lib.tensor([3., 4.], requires_grad=True)
        (a * b).sum().backward(inputs=[a])
        (a * b).sum().backward()
        return a.grad.tolist(), b.grad.tolist()
    assert both(run)[0] == both(run)[1]


def test_inplace_on_saved_tensor_raises_version_error():
    for lib in (ember, torch):
        x = lib.tensor([1., 2.], requires_grad=True)
        y = x.exp()
        z = y * y
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_leaf_inplace_and_numpy_errors_match_torch():
    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            x.add_(1)
        with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
            x.numpy()
        with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
            bool(x)
        with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
            lib.ones(2).sum().backward()


def test_detect_anomaly_names_the_op():
    class NanGrad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")
    x = ember.ones(2, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ember.autograd.detect_anomaly():
            y = NanGrad.apply(x).sum()
            with pytest.raises(RuntimeError, match="Function 'NanGradBackward' returned nan values in its 0th output"):
                y.backward()


def test_grad_modes_as_decorators_and_inference_mode():
    @ember.no_grad()
    def f(x):
        return x * 2

    @ember.enable_grad()
    def g(x):
        return x * 2
    x = ember.ones(1, requires_grad=True)
    assert not f(x).requires_grad
    with ember.no_grad():
        assert g(x).requires_grad
    with ember.inference_mode():
        assert not (x * 2).requires_grad
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()


@pytest.mark.parametrize("fn", [lambda t: (t.sin() * t.exp()).sum(), lambda t: (t @ t.T).relu().mean(),
                                lambda t: t.softmax(-1).log().sum() if hasattr(t, "softmax") else t.sum()])
def test_gradcheck_and_gradgradcheck_accept_correct_formulas(fn):
    x = ember.randn(3, 3, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


def test_gradcheck_catches_a_wrong_formula():
    class Wrong(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x       # should be 2 * x
    x = ember.randn(4, dtype=ember.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        ember.autograd.gradcheck(Wrong.apply, (x,))


@needs_torch
@pytest.mark.parametrize("split", ["unbind", "chunk", "lstm_cell"])
def test_roots_from_one_node(split):
    """Several roots that are outputs of one node (views of one unbind, both LSTM outputs)."""
    results = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        x = lib.tensor([[0.5, -1.0, 2.0, 0.25]] * 2, requires_grad=True)
        w_ih = lib.tensor([[0.1 * (i - j) for j in range(4)] for i in range(8)])
        if split == "unbind":
            a, b = (x * 2).unbind(0)
        elif split == "chunk":
            a, b = (x * 3).chunk(2, dim=1)
        else:
            a, b = lib.lstm_cell(x, (lib.zeros(2, 2), lib.zeros(2, 2)), w_ih, lib.zeros(8, 2))
        g = lib.autograd.grad([a.sum(), b.sum()] if split == "lstm_cell" else [a, b], x,
                              [None, None] if split == "lstm_cell" else [lib.ones_like(a), lib.ones_like(b)],
                              retain_graph=True)[0]
        lib.autograd.backward([a, b], [lib.ones_like(a), lib.ones_like(b)])
        results.append((g.detach().numpy().copy(), x.grad.numpy().copy()))
    for t, e in zip(*results):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6)


def test_invalid_gradient_shape_names_the_function_and_index():
    def run(lib):
        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a * b

            @staticmethod
            def backward(ctx, g):
                return g, lib.ones(3)          # b has 2 elements

        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError) as e:
            Twice.apply(a, b).sum().backward()
        return str(e.value)
    mine, theirs = both(run)
    assert mine == theirs


def test_one_gradient_sent_to_two_leaves_is_not_shared_between_their_grads():
    def run(lib):
        a = lib.ones(3, requires_grad=True)
        b = lib.ones(3, requires_grad=True)
        (a + b).sum().backward()             # AddBackward sends one tensor to both leaves
        a.grad.add_(1)
        return b.grad.tolist(), a.grad.tolist()
    mine, theirs = both(run)
    assert mine == theirs


@needs_torch
def test_non_leaf_grad_warning_text():
    """Seed 001 prints `b.grad` of a non-leaf: the same UserWarning text (less torch's C++ 'Triggered internally')."""
    def warn_text(m):
        b = m.ones(2, requires_grad=True) + 2
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            assert b.grad is None
        assert [x.category for x in w] == [UserWarning]
        return str(w[0].message).split(" (Triggered internally")[0]
    assert warn_text(ember) == warn_text(torch)


def test_grad_fn_types_are_named_like_torch_nodes():
    def run(lib):
        class MyReLU(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.clamp(min=0)

            @staticmethod
            def backward(ctx, g):
                return g
        x = lib.ones(2, 3, requires_grad=True)
        fns = [MyReLU.apply(x).grad_fn, x.sum().grad_fn, (x * 2).grad_fn, x[0].grad_fn, x.relu().grad_fn,
               (x @ x.t()).grad_fn, x.max(1).values.grad_fn]
        return [type(f).__name__ for f in fns], repr(fns[0]).split(" at ")[0].replace("torch.", "ember.", 1)
    mine, theirs = both(run)
    assert mine == theirs


def _order_cases(lib, case):
    """Graphs whose nodes must wait for gradients from paths of different lengths."""
    x = lib.tensor([0.5, -1.5, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    if case == "diamond":           # x feeds a short and a long path that meet again
        a = x * 2
        long = a.exp().sin().cos() * a
        return [(long + a.relu()).sum()], x
    if case == "root_reaches_root":  # one root is an input of the other
        a = (x * 3).tanh()
        return [a.sum(), (a * a).sum()], x
    if case == "old_view_refreshed":  # a view's node is made after the base's in-place change
        base = x * 1
        v = base[1:3]
        base.mul_(2)
        return [(v * base[:2]).sum() + base.sum()], x
    if case == "function_in_middle":
        class Square(lib.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                ctx.save_for_backward(t)
                return t * t

            @staticmethod
            def backward(ctx, g):
                t, = ctx.saved_tensors
                return 2 * t * g
        a = x.sigmoid()
        return [(Square.apply(a) + a * x).sum()], x
    if case == "unused_branch":     # a branch whose gradient is never produced (integer output)
        a = x * 2
        idx = a.argmax()
        return [a[idx] + a.sum()], x
    raise ValueError(case)


@pytest.mark.parametrize("case", ["diamond", "root_reaches_root", "old_view_refreshed", "function_in_middle",
                                  "unused_branch"])
def test_engine_runs_nodes_after_all_their_gradients(case):
    """Each node runs once, on the sum of its gradients: saved tensors are freed after that one run
    (no retain_graph needed) and a hook on the leaf sees one gradient."""
    got = []
    for lib in (torch, ember):
        seen = []
        roots, x = _order_cases(lib, case)
        x.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
        lib.autograd.backward(roots)
        roots, x2 = _order_cases(lib, case)
        g_grad = lib.autograd.grad(roots, x2)[0].detach().numpy().copy()
        got.append((x.grad.numpy().copy(), g_grad, len(seen)))
    (t_backward, t_grad, t_calls), (e_backward, e_grad, e_calls) = got
    np.testing.assert_allclose(e_backward, t_backward, rtol=1e-7)
    np.testing.assert_allclose(e_grad, t_grad, rtol=1e-7)
    assert e_calls == t_calls == 1


def _seed_grad_cases(lib):
    """Ways the seed gradient of `loss.backward()` reaches user code; each result must match torch and
    no step may change what a later backward starts from."""
    out = {}
    x = lib.tensor([1.5, -2.0, 3.0], requires_grad=True)
    loss = (x * 3).sum()
    loss.register_hook(lambda g: g.mul_(2))              # a hook writing into the seed in place
    loss.backward()
    out["hooked"] = x.grad.tolist()
    x.grad = None
    loss = (x * 3).sum()
    loss.retain_grad()
    loss.backward(retain_graph=True)
    loss.grad.add_(5)                                    # the retained seed is the user's to change
    loss.backward()
    out["retained"] = (loss.grad.item(), x.grad.tolist())
    leaf = lib.tensor(2.0, requires_grad=True)           # the root is a leaf: .grad must be its own
    leaf.backward()
    leaf.grad.add_(1)
    leaf.backward()
    out["leaf"] = leaf.grad.item()
    v = lib.tensor([4.0], requires_grad=True)            # the seed comes back as a view (reshape)
    v.reshape(()).backward()
    v.grad.add_(1)
    (v + 0).reshape(()).backward()
    out["view"] = v.grad.tolist()
    s = lib.tensor(1.0, requires_grad=True)              # add's backward passes the seed on as it is
    (s + 0).backward()
    s.grad.mul_(7)
    (s + 0).backward()
    out["passed_on"] = s.grad.item()
    return out


def test_seed_gradient_of_backward_is_never_shared_with_user_code():
    e, t = both(_seed_grad_cases)
    assert e == t


def test_single_tensor_fast_path_matches_general_apply_on_stale_views_and_anomaly_mode():
    """Unary and tensor-scalar ops take a shorter path; a view whose base changed in place, and anomaly
    mode, must still give torch's gradients and errors."""
    def run(lib):
        base = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        b = base * 1
        view = b[1:]
        b.mul_(2)                                        # view is now stale: its history is regenerated
        y = (view * 3).exp().sum()
        y.backward()
        with lib.autograd.detect_anomaly():
            z = lib.tensor([0.0, 1.0], requires_grad=True)
            w = (z * 0).sqrt()
            try:
                (w / w).sum().backward()
                err = None
            except RuntimeError as e:
                err = str(e).split("\n")[0]
        return base.grad.tolist(), err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = both(run)
    assert np.allclose(e[0], t[0]) and e[1] == t[1]

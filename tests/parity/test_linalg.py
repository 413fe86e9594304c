"""Parity with PyTorch for matrix products, einsum and ember.linalg (forward, gradients, errors)."""
import numpy as np
import pytest

import ember
from tests.helpers import needs_torch
from tests.parity.test_reduction import check, gradchecks, rand

try:
    import torch
except ImportError:
    torch = None

pytestmark = [needs_torch, pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")]


def r(*shape, seed=0):
    return rand(*shape, seed=seed)


def spd(n, batch=(), seed=0):
    a = r(*batch, n, n, seed=seed)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def sym(n, seed=0):
    a = r(n, n, seed=seed)
    return a + a.T


def well(n, batch=(), seed=0):
    """Well-conditioned square matrices."""
    return r(*batch, n, n, seed=seed) + 3 * np.eye(n)


# ---- products --------------------------------------------------------------------------------
MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
                 ((3,), (5, 3, 4)), ((5, 2, 3), (3,)), ((5, 1, 2, 3), (4, 3, 2)), ((2, 3), (5, 3, 4)),
                 ((0, 3), (3, 2)), ((2, 0), (0, 3))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul(sa, sb):
    check(lambda m, a, b: m.matmul(a, b), r(*sa), r(*sb, seed=1))
    check(lambda m, a, b: a @ b, r(*sa).astype(np.float32), r(*sb, seed=1).astype(np.float32), rtol=1e-4)


PRODUCTS = [
    ("matmul_int", lambda m, a, b: a @ b, [np.arange(6).reshape(2, 3), np.arange(6).reshape(3, 2)]),
    ("matmul_noncontig", lambda m, a, b: a.mT @ b, [r(3, 2), r(3, 4, seed=1)]),
    ("mm", lambda m, a, b: m.mm(a, b), [r(2, 3), r(3, 4, seed=1)]),
    ("bmm", lambda m, a, b: a.bmm(b), [r(2, 2, 3), r(2, 3, 4, seed=1)]),
    ("mv", lambda m, a, b: m.mv(a, b), [r(2, 3), r(3, seed=1)]),
    ("dot", lambda m, a, b: a.dot(b), [r(3), r(3, seed=1)]),
    ("vdot", lambda m, a, b: m.vdot(a, b), [r(3), r(3, seed=1)]),
    ("inner", lambda m, a, b: m.inner(a, b), [r(2, 3), r(4, 3, seed=1)]),
    ("inner_0d", lambda m, a, b: a.inner(b), [np.array(2.5), r(4, 3, seed=1)]),
    ("outer", lambda m, a, b: m.outer(a, b), [r(3), r(4, seed=1)]),
    ("ger", lambda m, a, b: a.ger(b), [r(3), r(4, seed=1)]),
    ("addmm", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2), [r(4), r(2, 3), r(3, 4, seed=1)]),
    ("addmm_beta0_nan", lambda m, c, a, b: c.addmm(a, b, beta=0), [np.full((2, 4), np.nan), r(2, 3), r(3, 4)]),
    ("addmv", lambda m, c, a, b: m.addmv(c, a, b, alpha=3), [r(2), r(2, 3), r(3, seed=1)]),
    ("addr", lambda m, c, a, b: c.addr(a, b, beta=2), [r(3, 4), r(3), r(4, seed=1)]),
    ("baddbmm", lambda m, c, a, b: m.baddbmm(c, a, b, beta=0.5), [r(2, 1), r(3, 2, 4), r(3, 4, 1, seed=1)]),
    ("addbmm", lambda m, c, a, b: c.addbmm(a, b, alpha=0.5), [r(2, 1), r(3, 2, 4), r(3, 4, 1, seed=1)]),
    ("tensordot", lambda m, a, b: m.tensordot(a, b, dims=2), [r(2, 3, 4), r(3, 4, 5, seed=1)]),
    ("tensordot_lists", lambda m, a, b: m.tensordot(a, b, ([1, 0], [0, 2])), [r(2, 3, 4), r(3, 5, 2, seed=1)]),
    ("tensordot_0", lambda m, a, b: m.tensordot(a, b, 0), [r(2), r(3, seed=1)]),
    ("trace", lambda m, a: a.trace(), [r(3, 4)]),
    ("trace_int", lambda m, a: m.trace(a), [np.arange(9).reshape(3, 3)]),
    ("kron", lambda m, a, b: m.kron(a, b), [r(2, 3), r(3, 2, seed=1)]),
    ("kron_mixed_ndim", lambda m, a, b: a.kron(b), [r(2), r(2, 3, seed=1)]),
    ("cross", lambda m, a, b: m.cross(a, b, dim=1), [r(2, 3), r(2, 3, seed=1)]),
    ("cross_default_dim", lambda m, a, b: a.cross(b), [r(3, 2), r(3, 2, seed=1)]),
    ("linalg_cross", lambda m, a, b: m.linalg.cross(a, b), [r(4, 3), r(1, 3, seed=1)]),
]


@pytest.mark.parametrize("fn,args", [c[1:] for c in PRODUCTS], ids=[c[0] for c in PRODUCTS])
def test_products(fn, args):
    check(fn, *args)


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]), ("ij->", [(2, 3)]), ("i,j->ij", [(2,), (3,)]), ("...ij,...jk", [(2, 2, 3), (2, 3, 4)]),
    ("ij,ij->i", [(2, 3), (2, 3)]), ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("ij,jk", [(2, 3), (3, 4)]),
    ("ba", [(2, 3)]), ("i...->...", [(2, 3, 4)]), ("iij->j", [(3, 3, 2)]), ("i, i", [(3,), (3,)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum(eq, shapes):
    arrays = [r(*s, seed=i) for i, s in enumerate(shapes)]
    check(lambda m, *xs: m.einsum(eq, *xs), *arrays)
    ember.autograd.gradcheck(lambda *xs: ember.einsum(eq, *xs),
                             tuple(ember.from_numpy(a).requires_grad_() for a in arrays))


def test_einsum_list_operands():
    check(lambda m, a, b: m.einsum("ij,jk->ik", [a, b]), r(2, 3), r(3, 4))


# ---- decompositions and linalg functions -------------------------------------------------------
LINALG = [
    ("det", lambda m, a: m.det(a), [well(3)]),
    ("det_batched", lambda m, a: m.linalg.det(a), [well(3, (2,))]),
    ("logdet", lambda m, a: a.logdet(), [spd(3)]),
    ("logdet_negative", lambda m, a: m.logdet(a), [np.diag([1.0, -2.0, 3.0])]),
    ("slogdet", lambda m, a: m.linalg.slogdet(a), [np.diag([1.0, -2.0, 3.0]) + r(3, 3) * 0.1]),
    ("slogdet_torch", lambda m, a: m.slogdet(a), [well(3, (2,))]),
    ("inverse", lambda m, a: a.inverse(), [well(3)]),
    ("inv", lambda m, a: m.linalg.inv(a), [well(3, (2,))]),
    ("solve", lambda m, a, b: m.linalg.solve(a, b), [well(3), r(3, 2, seed=1)]),
    ("solve_vec", lambda m, a, b: m.linalg.solve(a, b), [well(3), r(3, seed=1)]),
    ("solve_batched_vec", lambda m, a, b: m.linalg.solve(a, b), [well(3, (2,)), r(2, 3, seed=1)]),
    ("solve_broadcast", lambda m, a, b: m.linalg.solve(a, b), [well(3), r(4, 3, 2, seed=1)]),
    ("solve_left_false", lambda m, a, b: m.linalg.solve(a, b, left=False), [well(3), r(2, 3, seed=1)]),
    ("cholesky", lambda m, a: m.linalg.cholesky(a), [spd(3)]),
    ("cholesky_upper", lambda m, a: m.linalg.cholesky(a, upper=True), [spd(3, (2,))]),
    ("cholesky_torch", lambda m, a: m.cholesky(a), [spd(3)]),
    ("qr", lambda m, a: m.linalg.qr(a), [r(4, 3)]),
    ("qr_square_batched", lambda m, a: m.linalg.qr(a), [r(2, 3, 3)]),
    ("qr_wide", lambda m, a: m.linalg.qr(a), [r(3, 5)]),
    ("qr_complete", lambda m, a: m.linalg.qr(a.detach(), mode="complete"), [r(4, 3)]),
    ("qr_r", lambda m, a: m.linalg.qr(a.detach(), mode="r")[1], [r(4, 3)]),
    ("qr_torch", lambda m, a: m.qr(a), [r(4, 3)]),
    ("svdvals", lambda m, a: m.linalg.svdvals(a), [r(4, 3)]),
    ("svd_invariant", lambda m, a: _svd_inv(m.linalg.svd(a, full_matrices=False)), [r(4, 3)]),
    ("svd_wide", lambda m, a: _svd_inv(m.linalg.svd(a, full_matrices=False)), [r(2, 3, 5)]),
    ("svd_full", lambda m, a: m.linalg.svd(a)[1], [r(4, 3)]),
    ("svd_torch", lambda m, a: (m.svd(a).S, m.svd(a).V ** 2, m.svd(a, compute_uv=False).U), [r(4, 3)]),
    ("svd_full_u", lambda m, a: m.linalg.svd(a).U[:, :3] ** 2, [r(4, 3)]),
    ("eigh", lambda m, a: _eigh_inv(m.linalg.eigh(a)), [sym(4)]),
    ("eigh_upper", lambda m, a: m.linalg.eigh(a, UPLO="U")[0], [r(3, 3)]),
    ("eigvalsh", lambda m, a: m.linalg.eigvalsh(a), [sym(3)]),
    ("pinv", lambda m, a: m.linalg.pinv(a), [r(4, 3)]),
    ("pinv_rank_deficient", lambda m, a: m.linalg.pinv(a), [np.outer(r(4), r(3, seed=1))]),
    ("pinverse", lambda m, a: a.pinverse(), [r(3, 4)]),
    ("matrix_power3", lambda m, a: m.linalg.matrix_power(a, 3), [r(2, 3, 3)]),
    ("matrix_power0", lambda m, a: a.matrix_power(0), [r(3, 3)]),
    ("matrix_power_neg", lambda m, a: m.matrix_power(a, -2), [well(3)]),
    ("matrix_rank", lambda m, a: m.linalg.matrix_rank(a), [np.outer(r(4), r(3, seed=1))]),
    ("matrix_rank_batched", lambda m, a: m.linalg.matrix_rank(a, atol=1.0), [r(2, 3, 3)]),
    ("lstsq", lambda m, a, b: m.linalg.lstsq(a, b)[:3:2], [r(5, 3), r(5, 2, seed=1)]),
    ("multi_dot", lambda m, a, b, c: m.linalg.multi_dot([a, b, c]), [r(2, 3), r(3, 4), r(4, 2)]),
]


def _svd_inv(res):
    """Sign-invariant pieces of an SVD (columns of U, rows of Vh are defined up to sign)."""
    return res.S, res.U ** 2, res.Vh ** 2


def _eigh_inv(res):
    return res.eigenvalues, res.eigenvectors ** 2


@pytest.mark.parametrize("fn,args", [c[1:] for c in LINALG], ids=[c[0] for c in LINALG])
def test_linalg(fn, args):
    check(fn, *args, rtol=1e-6, atol=1e-8)


NORMS = [
    ("norm_default", lambda m, a: m.linalg.norm(a), r(3, 4)),
    ("norm_vec_ord", lambda m, a: m.linalg.norm(a, 3), r(4)),
    ("norm_dim", lambda m, a: m.linalg.norm(a, dim=1, keepdim=True), r(3, 4)),
    ("norm_matrix_ord", lambda m, a: m.linalg.norm(a, "nuc"), r(3, 4)),
    ("norm_matrix_inf", lambda m, a: m.linalg.norm(a, float("inf")), r(3, 4)),
    ("norm_dims", lambda m, a: m.linalg.norm(a, 1, dim=(0, 2)), r(3, 4, 2)),
    ("vector_norm", lambda m, a: m.linalg.vector_norm(a, 2.5, dim=(0, 1)), r(3, 4, 2)),
    ("vector_norm_inf", lambda m, a: m.linalg.vector_norm(a, float("inf")), r(3, 4)),
    ("vector_norm_0d", lambda m, a: m.linalg.vector_norm(a), np.array(-2.0)),
    ("vector_norm_f32", lambda m, a: m.linalg.vector_norm(a, dim=-1), r(3, 4).astype(np.float32)),
    ("vector_norm_dtype", lambda m, a: m.linalg.vector_norm(a, dtype=m.float64), r(3).astype(np.float32)),
    ("matrix_norm_fro", lambda m, a: m.linalg.matrix_norm(a), r(2, 3, 4)),
    ("matrix_norm_nuc", lambda m, a: m.linalg.matrix_norm(a, "nuc", keepdim=True), r(2, 3, 4)),
    ("matrix_norm_2", lambda m, a: m.linalg.matrix_norm(a, 2), r(2, 3, 4)),
    ("matrix_norm_m2", lambda m, a: m.linalg.matrix_norm(a, -2), r(3, 4)),
    ("matrix_norm_1", lambda m, a: m.linalg.matrix_norm(a, 1), r(2, 3, 4)),
    ("matrix_norm_m1", lambda m, a: m.linalg.matrix_norm(a, -1, keepdim=True), r(3, 4)),
    ("matrix_norm_inf_dims", lambda m, a: m.linalg.matrix_norm(a, float("inf"), dim=(0, 2)), r(3, 2, 4)),
    ("torch_norm_nuc", lambda m, a: a.norm("nuc"), r(3, 4)),
]


@pytest.mark.parametrize("fn,x", [c[1:] for c in NORMS], ids=[c[0] for c in NORMS])
def test_norms(fn, x):
    check(fn, x, rtol=1e-5, atol=1e-7)


# ---- gradcheck + gradgradcheck ----------------------------------------------------------------
GRAD = [
    ("matmul_batched", lambda m, a, b: a @ b, [r(2, 2, 3), r(3, 2)]),
    ("matmul_vec", lambda m, a, b: a @ b, [r(3), r(2, 3, 2)]),
    ("matvec", lambda m, a, b: a @ b, [r(2, 2, 3), r(3)]),
    ("addmm", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2), [r(2), r(2, 3), r(3, 2)]),
    ("einsum_diag", lambda m, a, b: m.einsum("ii,ij->j", a, b), [r(2, 2), r(2, 3)]),
    ("tensordot", lambda m, a, b: m.tensordot(a, b, 1), [r(2, 3), r(3, 2)]),
    ("trace", lambda m, a: a.trace(), [r(2, 3)]),
    ("kron", lambda m, a, b: m.kron(a, b), [r(2, 2), r(2)]),
    ("cross", lambda m, a, b: m.linalg.cross(a, b), [r(2, 3), r(2, 3)]),
    ("det", lambda m, a: m.det(a), [well(3)]),
    ("slogdet", lambda m, a: m.linalg.slogdet(a), [well(3)]),
    ("inv", lambda m, a: m.linalg.inv(a), [well(3)]),
    ("solve", lambda m, a, b: m.linalg.solve(a, b), [well(3), r(3, 2)]),
    ("cholesky", lambda m, a: m.linalg.cholesky(a @ a.mT + m.eye(3, dtype=a.dtype)), [r(3, 3)]),
    ("qr", lambda m, a: m.linalg.qr(a), [r(4, 3)]),
    ("qr_wide", lambda m, a: m.linalg.qr(a), [r(2, 4)]),
    ("svd", lambda m, a: _svd_inv(m.linalg.svd(a, full_matrices=False)), [r(3, 2)]),
    ("svd_wide", lambda m, a: _svd_inv(m.linalg.svd(a, full_matrices=False)), [r(2, 3)]),
    ("svdvals", lambda m, a: m.linalg.svdvals(a), [r(3, 3)]),
    ("eigh", lambda m, a: _eigh_inv(m.linalg.eigh(a + a.mT)), [r(3, 3)]),
    ("pinv", lambda m, a: m.linalg.pinv(a), [r(3, 2)]),
    ("matrix_norm_nuc", lambda m, a: m.linalg.matrix_norm(a, "nuc"), [r(3, 2)]),
    ("matrix_norm_inf", lambda m, a: m.linalg.matrix_norm(a, float("inf")), [r(3, 2)]),
    ("matrix_power", lambda m, a: m.linalg.matrix_power(a, -2), [well(2)]),
]


@pytest.mark.parametrize("fn,args", [c[1:] for c in GRAD], ids=[c[0] for c in GRAD])
def test_gradcheck(fn, args):
    gradchecks(fn, *args)


def test_qr_backward_errors():
    a = ember.from_numpy(r(4, 3)).requires_grad_()
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
        ember.linalg.qr(a, mode="complete").Q.sum().backward()
    with pytest.raises(RuntimeError, match="which is not computed when mode='r'"):
        ember.linalg.qr(a, mode="r").R.sum().backward()


# ---- errors ----------------------------------------------------------------------------------
ERRORS = [
    ("mm", lambda m, a, b: m.mm(a, b), [r(16, 576), r(400, 120)]),
    ("matmul_2d", lambda m, a, b: a @ b, [r(2, 3), r(4, 5)]),
    ("matmul_1d", lambda m, a, b: a @ b, [r(3), r(4)]),
    ("bmm_2d", lambda m, a, b: m.bmm(a, b), [r(2, 3), r(2, 3, 4)]),
    ("bmm_b2", lambda m, a, b: m.bmm(a, b), [r(2, 3, 4), r(3, 4)]),
    ("bmm_batch", lambda m, a, b: m.bmm(a, b), [r(2, 3, 4), r(3, 4, 5)]),
    ("bmm_inner", lambda m, a, b: m.bmm(a, b), [r(2, 3, 4), r(2, 5, 5)]),
    ("mv", lambda m, a, b: m.mv(a, b), [r(2, 3), r(4)]),
    ("dot_size", lambda m, a, b: m.dot(a, b), [r(3), r(4)]),
    ("dot_2d", lambda m, a, b: m.dot(a, b), [r(2, 3), r(2, 3)]),
    ("dot_dtype", lambda m, a, b: m.dot(a, b), [r(3), r(3).astype(np.float32)]),
    ("outer_2d", lambda m, a, b: m.outer(a, b), [r(2, 3), r(3)]),
    ("trace_3d", lambda m, a: m.trace(a), [r(2, 2, 2)]),
    ("inv_nonsquare", lambda m, a: m.linalg.inv(a), [r(2, 3)]),
    ("det_nonsquare", lambda m, a: m.linalg.det(a), [r(2, 3)]),
    ("solve_shapes", lambda m, a, b: m.linalg.solve(a, b), [well(2), r(3)]),
    ("cross_len", lambda m, a, b: m.linalg.cross(a, b), [r(2), r(2)]),
    ("einsum_size", lambda m, a, b: m.einsum("ij,jk", a, b), [r(2, 3), r(4, 5)]),
    ("einsum_dtype", lambda m, a, b: m.einsum("ij,jk", a, b), [r(2, 3).astype(np.float32), r(3, 2)]),
    ("einsum_repeated_out", lambda m, a, b: m.einsum("ij,jk->ikk", a, b), [r(2, 3), r(3, 2)]),
    ("vector_norm_int", lambda m, a: m.linalg.vector_norm(a), [np.arange(3)]),
    ("norm_3d_ord", lambda m, a: m.linalg.norm(a, 2), [r(2, 2, 2)]),
]


@pytest.mark.parametrize("fn,args", [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_errors(fn, args):
    with pytest.raises(Exception) as te:
        fn(torch, *[torch.from_numpy(a) for a in args])
    with pytest.raises(type(te.value)) as ee:
        fn(ember, *[ember.from_numpy(a) for a in args])
    assert str(ee.value) == str(te.value)


LINALG_ERRORS = [
    ("inv_singular", lambda m, a: m.linalg.inv(a), np.zeros((2, 2))),
    ("cholesky_not_pd", lambda m, a: m.linalg.cholesky(a), -np.eye(3)),
    ("cholesky_batch", lambda m, a: m.linalg.cholesky(a), np.stack([np.eye(2), -np.eye(2)])),
]


@pytest.mark.parametrize("fn,x", [c[1:] for c in LINALG_ERRORS], ids=[c[0] for c in LINALG_ERRORS])
def test_linalg_errors(fn, x):
    with pytest.raises(torch.linalg.LinAlgError) as te:
        fn(torch, torch.from_numpy(x))
    with pytest.raises(ember.linalg.LinAlgError) as ee:
        fn(ember, ember.from_numpy(x))
    assert isinstance(ee.value, RuntimeError)
    assert str(ee.value) == str(te.value)


def test_mm_message():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(16x576 and 400x120\)"):
        ember.zeros(16, 576) @ ember.zeros(400, 120)


@needs_torch
@pytest.mark.parametrize("batch,features", [(4, 64), (64, 16), (1, 8)], ids=["few-rows", "many-rows", "one-row"])
def test_linear_both_product_orders(batch, features):
    """F.linear computes weight @ x^T for few rows and many output features, x @ weight^T otherwise:
    same values, gradients and row-major strides as torch either way."""
    import torch
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((batch, 12), (features, 12), (features,))]
    es = [ember.from_numpy(a.copy()).requires_grad_() for a in arrays]
    ts = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    ye, yt = ember.nn.functional.linear(*es), torch.nn.functional.linear(*ts)
    assert ye.stride() == yt.stride() and ye.is_contiguous()
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    g = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    ye.backward(ember.from_numpy(g))
    yt.backward(torch.from_numpy(g))
    for e, t in zip(es, ts):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-5)

"""A broad table of ops run on 'cuda' (the fake CuPy) and on 'cpu': same values, dtype, shape and
gradients; results stay on the device (CuPy arrays), gradients land on the inputs' device."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F

from .backend import array_type

# the cpu reference run may warn (log of negatives, x / 0) where torch does not; that is not under test here
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning",
                                        "ignore:divide by zero encountered:RuntimeWarning")

_R = np.random.RandomState(0)


def f32(*shape, lo=None):
    a = _R.randn(*shape).astype(np.float32)
    return np.abs(a) + lo if lo is not None else a


def i64(*shape, high=3):
    return _R.randint(0, high, size=shape).astype(np.int64)


def pos(*shape):
    return f32(*shape, lo=0.5)


def spd(n):
    a = _R.randn(n, n)
    return (a @ a.T + n * np.eye(n)).astype(np.float32)


def _set(x, key, value):
    y = x * 1.0
    y[key] = value
    return y


def _setitem_tensor(x, v):
    y = x * 1.0
    y[1:3] = v
    return y


def _index_put_acc(x, v):
    y = x * 1.0
    return y.index_put_((ember.tensor([0, 0, 2], device=x.device),), v, accumulate=True)


# (id, fn, inputs, differentiable)
CASES = [
    # ---- elementwise ----
    ("add", lambda a, b: a + b, [f32(3, 4), f32(4)], True),
    ("sub_alpha", lambda a, b: ember.sub(a, b, alpha=2), [f32(3, 4), f32(3, 4)], True),
    ("mul", lambda a, b: a * b, [f32(3, 4), f32(3, 1)], True),
    ("div", lambda a, b: a / b, [f32(3, 4), pos(3, 4)], True),
    ("pow", lambda a, b: a ** b, [pos(3, 4), f32(3, 4)], True),
    ("pow_scalar", lambda a: a ** 2 + 2 ** a, [f32(5)], True),
    ("rsub_scalar", lambda a: 1 - a * 3 + a / 2, [f32(5)], True),
    ("neg_abs", lambda a: (-a).abs(), [f32(5)], True),
    ("exp_log", lambda a: a.exp() + a.abs().add(1).log(), [f32(5)], True),
    ("sqrt_rsqrt", lambda a: a.sqrt() + a.rsqrt(), [pos(5)], True),
    ("trig", lambda a: a.sin() + a.cos() + a.tan() + a.atan(), [f32(5)], True),
    ("hyperbolic", lambda a: a.tanh() + a.sinh() + a.cosh(), [f32(5)], True),
    ("sigmoid_relu", lambda a: a.sigmoid() + a.relu(), [f32(5)], True),
    ("clamp", lambda a: a.clamp(-0.5, 0.5) + a.clamp(min=0.1), [f32(6)], True),
    ("where", lambda a, b: ember.where(a > 0, a, b), [f32(6), f32(6)], True),
    ("maximum_minimum", lambda a, b: ember.maximum(a, b) + ember.minimum(a, b), [f32(6), f32(6)], True),
    ("erf_erfc_erfinv", lambda a: a.erf() + a.erfc() + (a.tanh() * 0.9).erfinv(), [f32(6)], True),
    ("lgamma_digamma", lambda a: a.lgamma() + a.digamma(), [pos(6)], True),
    ("polygamma", lambda a: ember.polygamma(1, a), [pos(6)], True),
    ("floor_round_sign", lambda a: a.floor() + a.round() + a.sign() + a.trunc() + a.ceil(), [f32(6)], True),
    ("remainder_fmod", lambda a: a.remainder(0.7) + a.fmod(0.7), [f32(6)], True),
    ("atan2", lambda a, b: ember.atan2(a, b), [f32(6), f32(6)], True),
    ("lerp", lambda a, b: ember.lerp(a, b, 0.3), [f32(6), f32(6)], True),
    ("addcmul_addcdiv", lambda a, b, c: ember.addcmul(a, b, c, value=0.5) + ember.addcdiv(a, b, c.abs() + 1),
     [f32(6), f32(6), f32(6)], True),
    ("activations", lambda a: F.softplus(a) + F.gelu(a) + F.leaky_relu(a, 0.1) + F.elu(a) + F.silu(a)
     + F.hardtanh(a) + F.mish(a) + F.selu(a) + F.relu6(a) + F.hardswish(a), [f32(8)], True),
    ("logsumexp", lambda a: a.logsumexp(1), [f32(3, 4)], True),
    ("nan_to_num_isnan", lambda a: (a.log()).nan_to_num(0.0, 1.0, -1.0) + a.isnan().float(), [f32(8)], True),
    ("int_promotion", lambda i, a: i + a + i * 2, [i64(4), f32(4)], True),
    ("int_true_div", lambda i: i / 2, [i64(4)], False),
    ("int_floor_div", lambda i: (i + 5) // 2 + (i + 5) % 3, [i64(4)], False),
    ("compare", lambda a, b: ((a > b) | (a == b)) & ~(a < 0), [f32(6), f32(6)], False),
    ("bitwise", lambda i, j: (i & j) | (i ^ j) | (i << 1) | (j >> 1) | ~i, [i64(6, high=9), i64(6, high=9)], False),
    ("logical", lambda a, b: ember.logical_and(a > 0, b > 0) ^ ember.logical_not(a > b), [f32(6), f32(6)], False),
    ("bool_any_all", lambda a: ember.stack([(a > 0).any(), (a > -5).all()]), [f32(6)], False),
    ("isfinite_isinf", lambda a: (a / 0).isinf() | a.isfinite(), [f32(6)], False),
    ("float16_math", lambda a: (a.half() * 2).exp().float(), [f32(6)], True),
    ("float64_math", lambda a: (a.double() ** 3).sum(), [f32(6)], True),
    ("inplace_ops", lambda a: a.clone().mul_(2).add_(1).clamp_(-1, 1).exp_(), [f32(6)], True),
    ("xlogy", lambda a, b: ember.xlogy(a, b), [pos(5), pos(5)], True),
    ("copysign_hypot", lambda a, b: ember.copysign(a, b) + ember.hypot(a, b), [f32(5), f32(5)], True),
    # ---- reductions ----
    ("sum_mean", lambda a: a.sum() + a.mean(), [f32(3, 4)], True),
    ("sum_dims", lambda a: a.sum((0, 2), keepdim=True), [f32(2, 3, 4)], True),
    ("mean_dim", lambda a: a.mean(-1), [f32(3, 4)], True),
    ("var_std", lambda a: a.var(1) + a.std(0).sum() + a.var(unbiased=False), [f32(3, 4)], True),
    ("max_min_all", lambda a: a.max() + a.min(), [f32(3, 4)], True),
    ("max_dim", lambda a: a.max(1), [f32(3, 4)], True),
    ("min_dim_keepdim", lambda a: a.min(0, keepdim=True), [f32(3, 4)], True),
    ("amax_amin", lambda a: a.amax(1) + a.amin(0).sum(), [f32(3, 4)], True),
    ("argmax_argmin", lambda a: ember.stack([a.argmax(), a.argmin()]), [f32(3, 4)], False),
    ("argmax_dim", lambda a: a.argmax(1, keepdim=True), [f32(3, 4)], False),
    ("prod", lambda a: a.prod(1) + a.prod(), [f32(3, 4)], True),
    ("cumsum_cumprod", lambda a: a.cumsum(1) + a.cumprod(0), [f32(3, 4)], True),
    ("cummax_cummin", lambda a: ember.cummax(a, 1).values + ember.cummin(a, 0).values, [f32(3, 4)], True),
    ("cummax_indices", lambda a: ember.cummax(a, 1).indices, [f32(3, 4)], False),
    ("norm", lambda a: a.norm() + a.norm(dim=1).sum() + a.norm(p=1) + ember.linalg.vector_norm(a, ord=3),
     [f32(3, 4)], True),
    ("count_nonzero_all_any", lambda a: ember.stack([ember.count_nonzero(a > 0), (a > 0).all(1).sum(),
                                                    (a > 0).any(0).sum()]), [f32(3, 4)], False),
    ("median", lambda a: a.median() + a.median(1).values.sum(), [f32(3, 5)], True),
    ("mode", lambda i: ember.mode(i, 1), [i64(3, 5)], False),
    ("sort", lambda a: a.sort(1), [f32(3, 5)], True),
    ("sort_desc_stable", lambda i: ember.sort(i, descending=True, stable=True), [i64(8)], False),
    ("argsort", lambda a: a.argsort(0), [f32(3, 5)], False),
    ("topk", lambda a: a.topk(2, dim=1), [f32(3, 5)], True),
    ("kthvalue", lambda a: a.kthvalue(2, dim=1), [f32(3, 5)], True),
    ("unique", lambda i: ember.unique(i, return_inverse=True, return_counts=True), [i64(10, high=4)], False),
    ("unique_dim", lambda i: ember.unique(i, dim=0), [i64(6, 2, high=2)], False),
    ("bincount", lambda i: ember.bincount(i, minlength=5), [i64(10, high=4)], False),
    ("bincount_weights", lambda i, w: ember.bincount(i, w), [i64(10, high=4), f32(10)], False),
    ("histc", lambda a: ember.histc(a, bins=4, min=-2, max=2), [f32(20)], False),
    ("aminmax", lambda a: ember.aminmax(a, dim=0), [f32(3, 4)], False),
    ("nansum_nanmean", lambda a: (a.log()).nansum() + (a.log()).nanmean(), [f32(8)], True),
    # ---- indexing ----
    ("getitem_basic", lambda a: a[0] + a[1:3, ::2].sum() + a[..., -1].sum() + a[None, 1, 2], [f32(4, 5)], True),
    ("getitem_int_list", lambda a: a[:, [0, 2, 2]], [f32(4, 5)], True),
    ("getitem_tensor_index", lambda a, i: a[i], [f32(4, 5), i64(6, high=4)], True),
    ("getitem_two_index_tensors", lambda a, i, j: a[i, j], [f32(4, 5), i64(6, high=4), i64(6, high=5)], True),
    ("getitem_mask", lambda a: a[a > 0], [f32(4, 5)], True),
    ("getitem_row_mask", lambda a: a[a.sum(1) > 0], [f32(4, 5)], True),
    ("setitem_scalar", lambda a: _set(a, 0, 5.0), [f32(4, 5)], True),
    ("setitem_mask", lambda a: _set(a, a > 0, 0.0), [f32(4, 5)], True),
    ("setitem_tensor", _setitem_tensor, [f32(4, 5), f32(5)], True),
    ("setitem_index_tensor", lambda a, v: _set(a, ember.tensor([3, 0], device=a.device), v), [f32(4, 5), f32(2, 5)],
     True),
    ("index_put_accumulate", _index_put_acc, [f32(4, 5), f32(3, 5)], True),
    ("index_select", lambda a, i: a.index_select(1, i), [f32(4, 5), i64(3, high=5)], True),
    ("gather", lambda a, i: a.gather(1, i), [f32(4, 5), i64(4, 2, high=5)], True),
    ("scatter", lambda a, i, s: a.scatter(1, i, s), [f32(4, 5), i64(4, 1, high=5), f32(4, 1)], True),
    ("scatter_add", lambda a, i, s: a.scatter_add(1, i, s), [f32(4, 5), i64(4, 3, high=5), f32(4, 3)], True),
    ("scatter_reduce_amax", lambda a, i, s: a.scatter_reduce(1, i, s, "amax"), [f32(4, 5), i64(4, 3, high=5),
                                                                               f32(4, 3)], True),
    ("scatter_reduce_prod", lambda a, i, s: a.scatter_reduce(1, i, s, "prod"), [f32(4, 5), i64(4, 3, high=5),
                                                                               f32(4, 3)], True),
    ("index_add", lambda a, i, s: a.index_add(0, i, s), [f32(4, 5), i64(3, high=4), f32(3, 5)], True),
    ("index_add_int64", lambda a, i, s: a.index_add(0, i, s), [i64(4, 5), i64(3, high=4), i64(3, 5)], False),
    ("index_add_int64_repeated", lambda a, i, s: a.index_add(0, i, s), [i64(4, 5), np.array([1, 1, 3]),
                                                                         i64(3, 5) - 5], False),
    ("index_add_int8_uint8_bool", lambda a, i, s: ember.stack([
        a.to(ember.int8).index_add(0, i, s.to(ember.int8) * 50).double(),
        a.to(ember.uint8).index_add(0, i, s.to(ember.uint8) * 100).double(),
        (a > 1).index_add(0, i, s > 0).double()]),
     [i64(4, 5), np.array([1, 1, 3]), i64(3, 5)], False),
    ("index_add_complex", lambda c, i: c.to(ember.complex64).index_add(0, i, c[:3].to(ember.complex64) * 1j),
     [f32(4, 5), np.array([1, 1, 3])], False),
    ("scatter_reduce_int64_f16", lambda i, s, h: ember.stack([
        ember.zeros(4, 5, dtype=ember.int64, device=i.device).scatter_reduce(1, i, s, "amax").double(),
        ember.zeros(4, 5, dtype=ember.int64, device=i.device).scatter_reduce(1, i, s, "amin").double(),
        h.half().scatter_reduce(1, i, h[:, :3].half(), "amax").double(),
        h.scatter_reduce(1, i, h[:, :3], "prod", include_self=False).double()]),
     [i64(4, 3, high=5), i64(4, 3, high=9) - 4, f32(4, 5)], False),
    ("masked_fill", lambda a: a.masked_fill(a < 0, -1.0), [f32(4, 5)], True),
    ("masked_select", lambda a: a.masked_select(a > 0), [f32(4, 5)], True),
    ("take_along_dim", lambda a, i: ember.take_along_dim(a, i, 1), [f32(4, 5), i64(4, 2, high=5)], True),
    ("take", lambda a, i: a.take(i), [f32(4, 5), i64(6, high=20)], True),
    ("nonzero", lambda a: (a > 0).nonzero(), [f32(4, 5)], False),
    ("where_cond_only", lambda a: ember.where(a > 0)[1], [f32(4, 5)], False),
    ("one_hot", lambda i: F.one_hot(i, 5), [i64(6, high=5)], False),
    ("embedding", lambda w, i: F.embedding(i, w), [f32(6, 3), i64(4, 2, high=6)], True),
    # ---- shapes ----
    ("reshape_view", lambda a: a.reshape(5, 4).view(20)[3:] + a.flatten()[3:], [f32(4, 5)], True),
    ("permute_transpose", lambda a: a.permute(2, 0, 1).transpose(0, 2), [f32(2, 3, 4)], True),
    ("t_mT", lambda a: a.t() + a.mT, [f32(3, 3)], True),
    ("unsqueeze_squeeze", lambda a: a.unsqueeze(0).unsqueeze(-1).squeeze(), [f32(3, 4)], True),
    ("expand_repeat", lambda a: a.expand(2, 3, 4).sum(0) + a.repeat(1, 4), [f32(3, 1)], True),
    ("cat_stack", lambda a, b: ember.cat([a, b], 1).sum(0) + ember.stack([a, b]).sum(), [f32(3, 4), f32(3, 4)],
     True),
    ("split_chunk_unbind", lambda a: a.split(2, 1)[1].sum() + a.chunk(2, 0)[0].sum() + a.unbind(1)[2].sum(),
     [f32(4, 5)], True),
    ("flip_roll", lambda a: a.flip(0) + a.roll(2, 1) + a.roll((1, 1), (0, 1)), [f32(4, 5)], True),
    ("narrow_select", lambda a: a.narrow(1, 1, 3).select(0, 2), [f32(4, 5)], True),
    ("tril_triu_diag", lambda a: a.tril() + a.triu(1) + ember.diag(a.diagonal()), [f32(4, 4)], True),
    ("movedim_broadcast_to", lambda a: a.movedim(0, 2).sum(2) + ember.broadcast_to(a[0, :1], (3, 4)),
     [f32(2, 3, 4)], True),
    ("tile_repeat_interleave", lambda a: a.tile((2, 1)).sum(0) + a.repeat_interleave(2, dim=0).sum(0),
     [f32(3, 4)], True),
    ("repeat_interleave_tensor", lambda a, r: a.repeat_interleave(r, dim=0), [f32(3, 4), i64(3, high=3)], True),
    ("pad", lambda a: F.pad(a, (1, 2, 0, 1)) + 0 * F.pad(a, (1, 2, 0, 1), mode="reflect"), [f32(2, 3, 4)], True),
    ("pad_replicate_circular", lambda a: F.pad(a, (1, 1), mode="replicate") + F.pad(a, (1, 1), mode="circular"),
     [f32(2, 3, 4)], True),
    ("unfold", lambda a: a.unfold(1, 2, 1), [f32(3, 5)], True),
    ("F_unfold_fold", lambda a: F.fold(F.unfold(a, 2), (4, 4), 2), [f32(1, 2, 4, 4)], True),
    ("clone_detach", lambda a: a.clone() + a.detach() * 0 + a.contiguous(), [f32(3, 4)], True),
    ("channels_last", lambda a: a.contiguous(memory_format=ember.channels_last) * 2, [f32(1, 2, 3, 3)], True),
    # ---- linear algebra ----
    ("matmul_2d", lambda a, b: a @ b, [f32(3, 4), f32(4, 5)], True),
    ("matmul_batched_broadcast", lambda a, b: ember.matmul(a, b), [f32(2, 3, 4), f32(4, 5)], True),
    ("matmul_vec", lambda a, b: a @ b, [f32(3, 4), f32(4)], True),
    ("mm_bmm_mv_dot", lambda a, b, c: a.mm(b).sum() + ember.bmm(c, c.transpose(1, 2)).sum() + a.mv(b[:, 0]).sum()
     + b[:, 0].dot(b[:, 1]), [f32(3, 4), f32(4, 5), f32(2, 3, 4)], True),
    ("addmm_baddbmm", lambda c, a, b: ember.addmm(c, a, b, beta=0.5, alpha=2) + ember.baddbmm(c, a[None], b[None])[0],
     [f32(3, 5), f32(3, 4), f32(4, 5)], True),
    ("outer_einsum", lambda a, b: ember.outer(a, b) + ember.einsum("i,j->ij", a, b), [f32(3), f32(4)], True),
    ("einsum_batched", lambda a, b: ember.einsum("bij,bjk->bik", a, b), [f32(2, 3, 4), f32(2, 4, 5)], True),
    ("tensordot_kron", lambda a, b: ember.tensordot(a, b, dims=([1], [0])).sum() + ember.kron(a, b).sum(),
     [f32(2, 3), f32(3, 2)], True),
    ("inv_det", lambda a: ember.linalg.inv(a) + ember.linalg.det(a), [spd(3)], True),
    ("solve", lambda a, b: ember.linalg.solve(a, b), [spd(3), f32(3, 2)], True),
    ("cholesky", lambda a: ember.linalg.cholesky(a), [spd(3)], True),
    ("qr", lambda a: ember.linalg.qr(a).R.abs(), [f32(4, 3)], True),
    ("svd_vals", lambda a: ember.linalg.svdvals(a), [f32(4, 3)], True),
    ("eigh_vals", lambda a: ember.linalg.eigvalsh(a), [spd(3)], True),
    ("slogdet", lambda a: ember.linalg.slogdet(a).logabsdet, [spd(3)], True),
    ("matrix_norm_rank", lambda a: ember.linalg.matrix_norm(a) + ember.linalg.matrix_rank(a), [spd(3)], True),
    ("pinv", lambda a: ember.linalg.pinv(a), [f32(4, 3)], True),
    ("cross_trace", lambda a, b: ember.linalg.cross(a, b).sum() + a.T.matmul(b).trace(), [f32(4, 3), f32(4, 3)], True),
    ("cdist", lambda a, b: ember.cdist(a, b), [f32(4, 3), f32(5, 3)], True),
    # ---- nn.functional ----
    ("linear", lambda x, w, b: F.linear(x, w, b), [f32(4, 3), f32(5, 3), f32(5)], True),
    ("conv1d", lambda x, w, b: F.conv1d(x, w, b, padding=1), [f32(2, 3, 8), f32(4, 3, 3), f32(4)], True),
    ("conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), [f32(2, 3, 6, 6), f32(4, 3, 3, 3), f32(4)],
     True),
    ("conv2d_shifted_gemms", lambda x, w: F.conv2d(x, w, padding=1), [f32(2, 32, 16, 16), f32(4, 32, 3, 3)], True),
    ("conv2d_1x1_and_strided", lambda x, w, v: (F.conv2d(x, w), F.conv2d(x, v, stride=2, padding=1)),
     [f32(2, 6, 6, 6), f32(4, 6, 1, 1), f32(4, 6, 2, 2)], True),
    ("conv2d_groups_dilation", lambda x, w: F.conv2d(x, w, groups=2, dilation=2, padding=2),
     [f32(1, 4, 6, 6), f32(4, 2, 3, 3)], True),
    ("conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
     [f32(1, 3, 4, 4), f32(3, 2, 3, 3), f32(2)], True),
    ("max_pool2d", lambda x: F.max_pool2d(x, 2), [f32(2, 3, 6, 6)], True),
    ("max_pool2d_overlap_indices", lambda x: F.max_pool2d(x, 3, stride=2, padding=1, return_indices=True),
     [f32(1, 2, 7, 7)], True),
    ("max_pool1d", lambda x: F.max_pool1d(x, 2), [f32(2, 3, 8)], True),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False), [f32(2, 3, 7, 7)],
     True),
    ("adaptive_pools", lambda x: F.adaptive_avg_pool2d(x, (2, 3)) + F.adaptive_max_pool2d(x, (2, 3)),
     [f32(2, 3, 7, 7)], True),
    ("batch_norm_train", lambda x, w, b: F.batch_norm(x, ember.zeros(3, device=x.device),
                                                      ember.ones(3, device=x.device), w, b, training=True),
     [f32(4, 3, 2, 2), pos(3), f32(3)], True),
    ("batch_norm_eval", lambda x: F.batch_norm(x, ember.arange(3.0, device=x.device), ember.ones(3, device=x.device)
                                               * 2, training=False), [f32(4, 3, 2, 2)], True),
    ("layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b), [f32(3, 4), pos(4), f32(4)], True),
    ("group_norm", lambda x: F.group_norm(x, 2), [f32(2, 4, 3)], True),
    ("softmax_log_softmax", lambda x: F.softmax(x, 1) + F.log_softmax(x, 0), [f32(3, 4)], True),
    ("cross_entropy", lambda x, t: F.cross_entropy(x, t), [f32(4, 5), i64(4, high=5)], True),
    ("cross_entropy_smoothing_weight", lambda x, t: F.cross_entropy(
        x, t, weight=ember.arange(1.0, 6.0, device=x.device), label_smoothing=0.1), [f32(4, 5), i64(4, high=5)], True),
    ("cross_entropy_probs_ignore", lambda x, t: F.cross_entropy(x, t, ignore_index=1, reduction="sum"),
     [f32(6, 3), i64(6, high=3)], True),
    ("nll_mse_l1_smoothl1", lambda x, y, t: F.nll_loss(F.log_softmax(x, 1), t) + F.mse_loss(x, y)
     + F.l1_loss(x, y) + F.smooth_l1_loss(x, y) + F.huber_loss(x, y), [f32(4, 3), f32(4, 3), i64(4)], True),
    ("bce", lambda x, y: F.binary_cross_entropy_with_logits(x, y.sigmoid()) + F.binary_cross_entropy(x.sigmoid(),
                                                                                                     y.sigmoid()),
     [f32(4, 3), f32(4, 3)], True),
    ("kl_div_cosine", lambda x, y: F.kl_div(F.log_softmax(x, 1), F.softmax(y, 1), reduction="batchmean")
     + F.cosine_similarity(x, y).sum() + F.pairwise_distance(x, y).sum(), [f32(4, 3), f32(4, 3)], True),
    ("normalize", lambda x: F.normalize(x, dim=1), [f32(4, 3)], True),
    ("dropout_eval", lambda x: F.dropout(x, 0.5, training=False), [f32(4, 3)], True),
    ("interpolate_nearest_bilinear", lambda x: F.interpolate(x, scale_factor=2) + F.interpolate(
        x, scale_factor=2, mode="bilinear", align_corners=False), [f32(1, 2, 3, 3)], True),
    ("grid_sample_bilinear", lambda x, t: F.grid_sample(x, F.affine_grid(t, (1, 2, 3, 3), align_corners=False),
                                                        align_corners=False), [f32(1, 2, 4, 4), f32(1, 2, 3)], True),
    ("grid_sample_bicubic_nearest", lambda x, t: F.grid_sample(x, F.affine_grid(t, (1, 2, 3, 3), align_corners=True),
                                                               mode="bicubic", align_corners=True)
     + F.grid_sample(x, F.affine_grid(t, (1, 2, 3, 3), align_corners=True), mode="nearest", align_corners=True),
     [f32(1, 2, 4, 4), f32(1, 2, 3) * 0.5], True),
    ("interpolate_bicubic_area", lambda x: F.interpolate(x, size=(5, 7), mode="bicubic", align_corners=False).sum()
     + F.interpolate(x, size=(2, 2), mode="area").sum(), [f32(1, 2, 4, 4)], True),
    ("conv3d_pool3d", lambda x, w: F.max_pool3d(F.conv3d(x, w, padding=1), 2) + F.avg_pool3d(x[:, :1], 2),
     [f32(1, 2, 4, 4, 4), f32(1, 2, 3, 3, 3)], True),
    ("instance_norm_embedding_bag", lambda x, w: F.instance_norm(x).sum() + F.embedding_bag(
        ember.tensor([0, 1, 2, 1], device=x.device), w, ember.tensor([0, 2], device=x.device), mode="max").sum(),
     [f32(2, 3, 4), f32(3, 2)], True),
    ("max_unpool2d", lambda x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2), [f32(1, 1, 4, 4)], True),
    ("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), [f32(1, 4, 2, 2)], True),
    ("scaled_dot_product_attention", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
     [f32(2, 3, 4), f32(2, 3, 4), f32(2, 3, 4)], True),
    ("ctc_loss", lambda x, t: F.ctc_loss(x.log_softmax(2), t, [5, 5], [2, 2]), [f32(5, 2, 4),
                                                                              _R.randint(1, 4, (2, 2))], True),
]


def _tensor(a, device, grad):
    if not isinstance(a, np.ndarray):
        return a
    return ember.tensor(a, device=device, requires_grad=grad and a.dtype.kind == "f")


def _run(fn, arrays, device, grad):
    ts = [_tensor(a, device, grad) for a in arrays]
    out = fn(*ts)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    for o in outs:
        assert isinstance(o, ember.Tensor)
        assert o.device.type == device, f"result on {o.device}, expected {device}"
        if device == "cuda":
            assert type(o._data) is array_type(), f"result array is {type(o._data)}"
    vals = [o.detach().cpu().numpy() for o in outs]
    grads = None
    if grad:
        loss = None
        for k, o in enumerate(outs):
            if o.requires_grad:
                w = ember.tensor(np.random.RandomState(k).randn(*o.shape), dtype=o.dtype, device=o.device)
                term = (o * w).sum()
                loss = term if loss is None else loss + term
        assert loss is not None, "no differentiable output"
        loss.backward()
        grads = []
        for t in ts:
            if isinstance(t, ember.Tensor) and t.requires_grad:
                assert t.grad is not None
                assert t.grad.device == t.device
                grads.append(t.grad.cpu().numpy())
    return vals, grads


def _close(got, want, what):
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != cpu {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape} != cpu {want.shape}"
    if got.dtype.kind in "fc":
        # the device sums in another order than the CPU (a GPU's kernels; on the fake too, ops that take
        # another path off the host): float32 rounding differs, e.g. by 2e-5 on a conv weight gradient of
        # 512 products whose terms reach 50
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=5e-5, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


@pytest.mark.parametrize("name,fn,arrays,grad", [pytest.param(*c, id=c[0]) for c in CASES])
def test_op_matches_cpu(name, fn, arrays, grad):
    cpu_vals, cpu_grads = _run(fn, arrays, "cpu", grad)
    cuda_vals, cuda_grads = _run(fn, arrays, "cuda", grad)
    assert len(cuda_vals) == len(cpu_vals)
    for k, (g, c) in enumerate(zip(cuda_vals, cpu_vals)):
        _close(g, c, f"{name} output {k}")
    if grad:
        for k, (g, c) in enumerate(zip(cuda_grads, cpu_grads)):
            _close(g, c, f"{name} grad of input {k}")

"""MultiheadAttention and the Transformer family against torch: outputs, attention weights and gradients of
inputs and parameters over a grid of options and masks, state_dict layout, reprs, init, errors."""
import itertools
import warnings

import numpy as np
import pytest

import ember
import ember.nn as enn
from tests.helpers import needs_torch, to_ember, assert_same

try:
    import torch
    import torch.nn as tnn
except ImportError:   # pragma: no cover
    torch = tnn = None

pytestmark = needs_torch

TOL = dict(rtol=1e-4, atol=1e-5)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*enable_nested_tensor.*")
        warnings.filterwarnings("ignore", message=".*mismatched key_padding_mask.*")
        warnings.filterwarnings("ignore", message=".*is_causal.*")
        yield


def copy_state(e, t):
    e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})


def rand(*shape, rg=True):
    t = torch.randn(*shape, dtype=torch.float32)
    t.requires_grad_(rg)
    return t, to_ember(t)


def mask_pair(t):
    return t, (None if t is None else to_ember(t))


def check_backward(outs_t, outs_e, ins_t, ins_e, mod_t, mod_e):
    """Backprop the same random weighted sum of every output; compare input and parameter gradients."""
    lt, le = 0, 0
    for a, b in zip(outs_t, outs_e):
        if a is None:
            assert b is None
            continue
        w = torch.randn(a.shape)
        good = torch.isfinite(a.detach())
        w = torch.where(good, w, torch.zeros(()))
        lt = lt + (torch.where(good, a, torch.zeros(())) * w).sum()
        ew = to_ember(w)
        le = le + (ember.where(to_ember(good), b, ember.zeros(())) * ew).sum()
    lt.backward()
    le.backward()
    for a, b in zip(ins_t, ins_e):
        if a.requires_grad:
            assert_same(b.grad, a.grad, **TOL)
    pe = dict(mod_e.named_parameters())
    for name, p in mod_t.named_parameters():
        if p.grad is None:
            assert pe[name].grad is None or not np.any(pe[name].grad.numpy()), name
        else:
            assert_same(pe[name].grad, p.grad, **TOL)


def mha_pair(*args, **kwargs):
    t = tnn.MultiheadAttention(*args, **kwargs)
    e = enn.MultiheadAttention(*args, **kwargs)
    copy_state(e, t)
    t.eval()
    e.eval()
    return e, t


# ---- MultiheadAttention --------------------------------------------------------------------------------------
E, H, L, S, N = 8, 2, 3, 4, 2

GRID = list(itertools.product(
    [False, True],              # batch_first
    [None, (5, 6)],             # kdim, vdim
    [False, True],              # add_bias_kv
    [False, True],              # add_zero_attn
    [True, False],              # bias
))


@pytest.mark.parametrize("batch_first,kv,bias_kv,zero_attn,bias", GRID)
def test_mha_grid(batch_first, kv, bias_kv, zero_attn, bias):
    kdim, vdim = kv if kv else (None, None)
    e, t = mha_pair(E, H, bias=bias, add_bias_kv=bias_kv, add_zero_attn=zero_attn, kdim=kdim, vdim=vdim,
                    batch_first=batch_first)
    shape = (lambda n, d: (N, n, d)) if batch_first else (lambda n, d: (n, N, d))
    qt, qe = rand(*shape(L, E))
    kt, ke = rand(*shape(S, kdim or E))
    vt, ve = rand(*shape(S, vdim or E))
    ot, wt = t(qt, kt, vt)
    oe, we = e(qe, ke, ve)
    assert_same(oe, ot, **TOL)
    assert_same(we, wt, **TOL)
    check_backward([ot, wt], [oe, we], [qt, kt, vt], [qe, ke, ve], t, e)


def _masks(kind, n_batch, heads, L_, S_):
    """(attn_mask, key_padding_mask) torch tensors of one kind."""
    if kind == "none":
        return None, None
    if kind == "bool2d":
        m = torch.rand(L_, S_) > 0.6
        m[:, 0] = False
        return m, None
    if kind == "float2d":
        return torch.randn(L_, S_), None
    if kind == "bool3d":
        m = torch.rand(n_batch * heads, L_, S_) > 0.6
        m[..., 0] = False
        return m, None
    if kind == "float3d":
        return torch.randn(n_batch * heads, L_, S_), None
    if kind == "kpm_bool":
        k = torch.zeros(n_batch, S_, dtype=torch.bool)
        k[-1, -2:] = True
        return None, k
    if kind == "kpm_float":
        return None, torch.randn(n_batch, S_)
    if kind == "both_bool":
        m = torch.rand(L_, S_) > 0.6
        m[:, 0] = False
        k = torch.zeros(n_batch, S_, dtype=torch.bool)
        k[0, -1] = True
        return m, k
    if kind == "both_float":
        return torch.randn(L_, S_), torch.randn(n_batch, S_)
    raise ValueError(kind)


MASKS = ["none", "bool2d", "float2d", "bool3d", "float3d", "kpm_bool", "kpm_float", "both_bool", "both_float"]


@pytest.mark.parametrize("kind", MASKS)
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("extras", [False, True])
def test_mha_masks(kind, need_weights, average, extras):
    torch.manual_seed(0)
    e, t = mha_pair(E, H, add_bias_kv=extras, add_zero_attn=extras, batch_first=True)
    qt, qe = rand(N, L, E)
    kt, ke = rand(N, S, E)
    vt, ve = rand(N, S, E)
    am, kpm = _masks(kind, N, H, L, S)
    am_t, am_e = mask_pair(am)
    kpm_t, kpm_e = mask_pair(kpm)
    ot, wt = t(qt, kt, vt, key_padding_mask=kpm_t, need_weights=need_weights, attn_mask=am_t,
               average_attn_weights=average)
    oe, we = e(qe, ke, ve, key_padding_mask=kpm_e, need_weights=need_weights, attn_mask=am_e,
               average_attn_weights=average)
    assert_same(oe, ot, **TOL)
    if need_weights:
        assert_same(we, wt, **TOL)
    else:
        assert we is None and wt is None
    check_backward([ot, wt], [oe, we], [qt, kt, vt], [qe, ke, ve], t, e)


@pytest.mark.parametrize("kind", ["none", "bool2d", "float2d", "kpm_bool", "both_float"])
@pytest.mark.parametrize("average", [True, False])
def test_mha_unbatched(kind, average):
    e, t = mha_pair(E, H, kdim=5, vdim=6, batch_first=True)
    qt, qe = rand(L, E)
    kt, ke = rand(S, 5)
    vt, ve = rand(S, 6)
    am, kpm = _masks(kind, 1, H, L, S)
    if kpm is not None:
        kpm = kpm[0]
    am_t, am_e = mask_pair(am)
    kpm_t, kpm_e = mask_pair(kpm)
    ot, wt = t(qt, kt, vt, key_padding_mask=kpm_t, attn_mask=am_t, average_attn_weights=average)
    oe, we = e(qe, ke, ve, key_padding_mask=kpm_e, attn_mask=am_e, average_attn_weights=average)
    assert_same(oe, ot, **TOL)
    assert_same(we, wt, **TOL)
    check_backward([ot, wt], [oe, we], [qt, kt, vt], [qe, ke, ve], t, e)


def test_mha_self_attention_and_is_causal():
    e, t = mha_pair(E, H)
    xt, xe = rand(L, N, E)
    cm = tnn.Transformer.generate_square_subsequent_mask(L)
    for nw in (True, False):
        ot, wt = t(xt, xt, xt, attn_mask=cm, is_causal=True, need_weights=nw)
        oe, we = e(xe, xe, xe, attn_mask=to_ember(cm), is_causal=True, need_weights=nw)
        assert_same(oe, ot, **TOL)
        if nw:
            assert_same(we, wt, **TOL)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        e(xe, xe, xe, is_causal=True)


def test_mha_state_dict_repr_init():
    for kw in ({}, dict(kdim=5, vdim=6, add_bias_kv=True), dict(bias=False)):
        t = tnn.MultiheadAttention(E, H, **kw)
        e = enn.MultiheadAttention(E, H, **kw)
        assert list(e.state_dict()) == list(t.state_dict())
        assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
        for (n, p), (_, q) in zip(e.named_parameters(), t.named_parameters()):
            assert tuple(p.shape) == tuple(q.shape), n
        assert repr(e) == repr(t)
        assert e.head_dim == t.head_dim and e._qkv_same_embed_dim == t._qkv_same_embed_dim
        assert e.batch_first == t.batch_first and e.dropout == t.dropout
    e = enn.MultiheadAttention(16, 4)
    assert not np.any(e.in_proj_bias.detach().numpy()) and not np.any(e.out_proj.bias.detach().numpy())
    bound = np.sqrt(6.0 / (16 + 48))
    w = e.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > bound / 2
    assert e.bias_k is None and e.bias_v is None
    with pytest.raises(AssertionError, match="divisible"):
        enn.MultiheadAttention(7, 2)


def test_mha_dropout_training():
    e = enn.MultiheadAttention(E, H, dropout=0.5)
    x = ember.randn(L, N, E)
    e.eval()
    a1, w1 = e(x, x, x)
    a2, w2 = e(x, x, x)
    np.testing.assert_array_equal(a1.detach().numpy(), a2.detach().numpy())
    e.train()
    ember.manual_seed(1)
    _, wtr = e(x, x, x, average_attn_weights=False)
    wv = wtr.detach().numpy()
    assert np.any(wv == 0)                 # some weights dropped, the others scaled by 2
    assert np.allclose(wv.sum(-1).mean(), 1.0, atol=0.5)


def test_mha_mask_dtype_error():
    e = enn.MultiheadAttention(E, H)
    x = ember.randn(L, N, E)
    with pytest.raises(AssertionError, match="only bool and floating"):
        e(x, x, x, attn_mask=ember.zeros((L, L), dtype=ember.int64))


# ---- Transformer encoder -----------------------------------------------------------------------------------------
D, NH, FF = 8, 2, 16


def enc_pair(num_layers=2, norm=False, **kw):
    lt = tnn.TransformerEncoderLayer(D, NH, FF, **kw)
    le = enn.TransformerEncoderLayer(D, NH, FF, **kw)
    t = tnn.TransformerEncoder(lt, num_layers, norm=tnn.LayerNorm(D) if norm else None)
    e = enn.TransformerEncoder(le, num_layers, norm=enn.LayerNorm(D) if norm else None)
    with torch.no_grad():
        for p in t.parameters():
            p.add_(torch.randn(p.shape) * 0.1)      # distinct layers, non-trivial norms
    copy_state(e, t)
    t.eval()
    e.eval()
    return e, t


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("kind", ["none", "src_mask", "kpm", "both", "causal"])
def test_encoder(batch_first, norm_first, activation, kind):
    torch.manual_seed(1)
    e, t = enc_pair(batch_first=batch_first, norm_first=norm_first, activation=activation, norm=True)
    Ls = 4
    xt, xe = rand(*((N, Ls, D) if batch_first else (Ls, N, D)))
    mask = kpm = None
    is_causal = None
    if kind in ("src_mask", "both"):
        mask = torch.rand(Ls, Ls) > 0.6
        mask.fill_diagonal_(False)
    if kind in ("kpm", "both"):
        kpm = torch.zeros(N, Ls, dtype=torch.bool)
        kpm[1, -1] = True
    if kind == "causal":
        mask = tnn.Transformer.generate_square_subsequent_mask(Ls)
        is_causal = True
    m_t, m_e = mask_pair(mask)
    k_t, k_e = mask_pair(kpm)
    ot = t(xt, mask=m_t, src_key_padding_mask=k_t, is_causal=is_causal)
    oe = e(xe, mask=m_e, src_key_padding_mask=k_e, is_causal=is_causal)
    assert_same(oe, ot, **TOL)
    check_backward([ot], [oe], [xt], [xe], t, e)


def test_encoder_layer_unbatched_and_module_activation():
    torch.manual_seed(2)
    lt = tnn.TransformerEncoderLayer(D, NH, FF, activation=tnn.GELU(), bias=False)
    le = enn.TransformerEncoderLayer(D, NH, FF, activation=enn.GELU(), bias=False)
    copy_state(le, lt)
    assert repr(le) == repr(lt)
    assert list(le.state_dict()) == list(lt.state_dict())
    lt.eval()
    le.eval()
    xt, xe = rand(5, D)
    ot = lt(xt)
    oe = le(xe)
    assert_same(oe, ot, **TOL)
    check_backward([ot], [oe], [xt], [xe], lt, le)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        enn.TransformerEncoderLayer(D, NH, activation="tanh")


def test_encoder_structure():
    e, t = enc_pair(num_layers=3, norm=True)
    assert list(e.state_dict()) == list(t.state_dict())
    assert repr(e) == repr(t)
    assert e.layers[0] is not e.layers[1]
    assert e.layers[0].linear1.weight is not e.layers[1].linear1.weight
    assert e.num_layers == 3


def test_encoder_dropout_training_differs():
    layer = enn.TransformerEncoderLayer(D, NH, FF, dropout=0.5)
    x = ember.randn(3, N, D)
    layer.train()
    a, b = layer(x), layer(x)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())


# ---- decoder and full Transformer --------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", [False, True])
def test_transformer(batch_first, norm_first, masks):
    torch.manual_seed(3)
    kw = dict(d_model=D, nhead=NH, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=FF,
              batch_first=batch_first, norm_first=norm_first)
    t = tnn.Transformer(**kw)
    e = enn.Transformer(**kw)
    assert list(e.state_dict()) == list(t.state_dict())
    assert repr(e) == repr(t)
    copy_state(e, t)
    t.eval()
    e.eval()
    Ls, Lt = 4, 3
    st, se = rand(*((N, Ls, D) if batch_first else (Ls, N, D)))
    tt, te = rand(*((N, Lt, D) if batch_first else (Lt, N, D)))
    kw_t, kw_e = {}, {}
    if masks:
        cm = tnn.Transformer.generate_square_subsequent_mask(Lt)
        skpm = torch.zeros(N, Ls, dtype=torch.bool)
        skpm[0, -1] = True
        mm = torch.randn(Lt, Ls)
        tkpm = torch.zeros(N, Lt, dtype=torch.bool)
        tkpm[1, -1] = True
        kw_t = dict(tgt_mask=cm, src_key_padding_mask=skpm, memory_key_padding_mask=skpm, memory_mask=mm,
                    tgt_key_padding_mask=tkpm)
        kw_e = {k: to_ember(v) for k, v in kw_t.items()}
    ot = t(st, tt, **kw_t)
    oe = e(se, te, **kw_e)
    assert_same(oe, ot, **TOL)
    check_backward([ot], [oe], [st, tt], [se, te], t, e)


def test_decoder_unbatched():
    torch.manual_seed(4)
    lt = tnn.TransformerDecoderLayer(D, NH, FF, activation="gelu")
    le = enn.TransformerDecoderLayer(D, NH, FF, activation="gelu")
    t = tnn.TransformerDecoder(lt, 2, norm=tnn.LayerNorm(D))
    e = enn.TransformerDecoder(le, 2, norm=enn.LayerNorm(D))
    copy_state(e, t)
    assert repr(e) == repr(t)
    t.eval()
    e.eval()
    tgt_t, tgt_e = rand(3, D)
    mem_t, mem_e = rand(5, D)
    cm = tnn.Transformer.generate_square_subsequent_mask(3)
    ot = t(tgt_t, mem_t, tgt_mask=cm)
    oe = e(tgt_e, mem_e, tgt_mask=to_ember(cm))
    assert_same(oe, ot, **TOL)
    check_backward([ot], [oe], [tgt_t, mem_t], [tgt_e, mem_e], t, e)


def test_generate_square_subsequent_mask_and_errors():
    for sz in (1, 4):
        assert_same(enn.Transformer.generate_square_subsequent_mask(sz),
                    tnn.Transformer.generate_square_subsequent_mask(sz))
    assert_same(enn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64),
                tnn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64))
    m = enn.Transformer(D, NH, 1, 1, FF)
    with pytest.raises(RuntimeError, match="batch number"):
        m(ember.randn(3, 2, D), ember.randn(3, 3, D))
    with pytest.raises(RuntimeError, match="feature number"):
        m(ember.randn(3, 2, D), ember.randn(3, 2, D + 2))


@pytest.mark.parametrize("kw", [dict(), dict(batch_first=True), dict(batch_first=True, norm_first=True),
                                dict(batch_first=True, bias=False), dict(batch_first=True, activation=np.tanh),
                                dict(batch_first=True, nhead=1), dict(batch_first=True, activation="gelu")])
def test_encoder_nested_tensor_warning(kw):
    kw = dict(kw)
    nhead = kw.pop("nhead", NH)
    act = kw.pop("activation", "relu")
    msgs = []
    for lib in (tnn, enn):
        a = (torch.tanh if lib is tnn else ember.tanh) if act is np.tanh else act
        layer = lib.TransformerEncoderLayer(D, nhead, FF, activation=a, **kw)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            enc = lib.TransformerEncoder(layer, 1)
        msgs.append(([str(w.message) for w in rec if "nested" in str(w.message)], enc.use_nested_tensor,
                     layer.activation_relu_or_gelu))
    assert msgs[0] == msgs[1]

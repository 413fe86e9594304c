"""ember's CPU random streams against torch's, bit for bit: seeding, raw stream and state bytes,
every sampler on many shapes and dtypes, interleaved draws, explicit Generators, module init,
dropout masks and data shuffling."""
import pickle
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import needs_torch, torch

pytestmark = needs_torch

SEEDS = [0, 1, 42, 2 ** 32 + 7, -5, 123456789012345]
SIZES = [(0,), (1,), (15,), (16,), (17,), (100,), (1000,), (3, 5, 7), (2, 0, 3), (4, 33)]
FLOATS = ["float32", "float64", "float16", "bfloat16"]


def _bits(t):
    """An array whose equality means bit-equality (bfloat16 and half compared as raw integers)."""
    if isinstance(t, ember.Tensor):
        a = t.detach().numpy()
        return a.view(np.uint16) if a.dtype.itemsize == 2 and a.dtype.kind != "i" else a
    a = t.detach()
    if a.dtype in (torch.bfloat16, torch.float16):
        return a.view(torch.int16).numpy().view(np.uint16)
    return a.numpy()


def assert_bits(e, t):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_array_equal(_bits(e), _bits(t))


def both(seed, fn):
    """fn(library) run after manual_seed(seed) in both libraries: (ember result, torch result)."""
    ember.manual_seed(seed)
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(ember), fn(torch)


def assert_same_state():
    np.testing.assert_array_equal(ember.get_rng_state().numpy(), torch.get_rng_state().numpy())


# ---- engine, seeds, state ------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS + [2 ** 64 - 1, -(2 ** 63)])
def test_raw_stream_and_initial_seed(seed):
    e, t = both(seed, lambda m: m.empty(300, dtype=m.int64).random_(-2 ** 63, None))
    assert_bits(e, t)
    assert ember.initial_seed() == torch.initial_seed()
    assert_same_state()


def test_seed_errors_and_defaults():
    for bad in (2 ** 64, -(2 ** 63) - 1):
        with pytest.raises(ValueError, match="Overflow when unpacking long long") as e_err:
            ember.manual_seed(bad)
        with pytest.raises(type(e_err.value)):
            torch.manual_seed(bad)
    assert ember.Generator().initial_seed() == torch.Generator().initial_seed()
    np.testing.assert_array_equal(ember.Generator().get_state().numpy(), torch.Generator().get_state().numpy())
    s = ember.seed()
    assert ember.initial_seed() == s and 0 <= s < 2 ** 64


def test_state_tensor_is_torchs_format_both_ways():
    ember.manual_seed(7)
    torch.manual_seed(7)
    assert_bits(ember.randn(3), torch.randn(3))          # leaves a cached normal in both
    es, ts = ember.get_rng_state(), torch.get_rng_state()
    assert es.dtype is ember.uint8 and tuple(es.shape) == (5056,)
    np.testing.assert_array_equal(es.numpy(), ts.numpy())
    # torch's state restored in ember, and ember's in torch, continue the same stream
    ember.manual_seed(99)
    ember.set_rng_state(ember.tensor(ts.numpy()))
    assert_bits(ember.randn(5), torch.randn(5))
    torch.set_rng_state(torch.from_numpy(ember.get_rng_state().numpy()))
    assert_bits(ember.rand(20, dtype=ember.float64), torch.rand(20, dtype=torch.float64))
    assert_same_state()


def test_state_round_trip_through_torch_save(tmp_path):
    torch.manual_seed(3)
    torch.rand(1000)
    torch.save(torch.get_rng_state(), tmp_path / "state.pt")
    ember.set_rng_state(ember.load(tmp_path / "state.pt"))
    assert_bits(ember.randn(40), torch.randn(40))
    ember.save(ember.get_rng_state(), tmp_path / "ember_state.pt")
    torch.set_rng_state(torch.load(tmp_path / "ember_state.pt"))
    assert_bits(ember.randperm(50), torch.randperm(50))


def test_set_state_errors():
    for bad in (ember.zeros(10, dtype=ember.uint8), ember.zeros(5056, dtype=ember.uint8)):
        with pytest.raises(RuntimeError) as e_err:
            ember.set_rng_state(bad)
        with pytest.raises(RuntimeError) as t_err:
            torch.set_rng_state(torch.from_numpy(bad.numpy()))
        assert str(e_err.value) == str(t_err.value)
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        ember.set_rng_state(ember.zeros(5056))


def test_fork_rng_restores():
    ember.manual_seed(5)
    with ember.random.fork_rng():
        ember.randn(100)
    torch.manual_seed(5)
    assert_bits(ember.randn(10), torch.randn(10))


# ---- samplers: shapes x dtypes -------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("size", SIZES)
def test_rand_and_randn(size, dtype):
    for seed in SEEDS[:3]:
        assert_bits(*both(seed, lambda m: m.rand(size, dtype=getattr(m, dtype))))
        assert_bits(*both(seed, lambda m: m.randn(size, dtype=getattr(m, dtype))))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", [1, 7, 16, 31, 1000])
def test_uniform_and_normal_with_parameters(n, dtype):
    for lo, hi in [(-3.5, 2.25), (0.1, 0.7), (5, 5)]:
        assert_bits(*both(1, lambda m: m.empty(n, dtype=getattr(m, dtype)).uniform_(lo, hi)))
    for mean, std in [(0.5, 0.02), (-2.0, 3.7), (1.0, 0.0)]:
        assert_bits(*both(2, lambda m: m.empty(n, dtype=getattr(m, dtype)).normal_(mean, std)))
        assert_bits(*both(2, lambda m: m.normal(mean, std, (n,), dtype=getattr(m, dtype))))


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool", "float32", "float64",
                                   "float16", "bfloat16"])
def test_random_and_randint(dtype):
    def draws(m):
        d = getattr(m, dtype)
        out = [m.empty(100, dtype=d).random_(), m.empty(3, 4, dtype=d).random_(2)]
        if dtype != "bool":
            out += [m.randint(3, 100, (50,), dtype=d), m.randint(10, (17,), dtype=d),
                    m.empty(9, dtype=d).random_(5, 90)]
        if dtype in ("int64", "float64", "float32"):
            out += [m.randint(-2 ** 40, 2 ** 40, (20,), dtype=d), m.randint(0, 2 ** 28, (20,), dtype=d),
                    m.randint(0, 2 ** 28 - 1, (20,), dtype=d)]
        if dtype in ("int64", "float64", "float32", "bfloat16"):
            out.append(m.empty(8, dtype=d).random_(-2 ** 63, None))
        if dtype in ("int64", "int32", "uint8"):
            out.append(m.empty(8, dtype=d).random_(3, None))
        return out
    for seed in SEEDS[:3]:
        for e, t in zip(*both(seed, draws)):
            assert_bits(e, t)
        assert_same_state()


def test_randint_like_rand_like_randn_like():
    base = {"e": ember.zeros(4, 5, dtype=ember.float64), "t": torch.zeros(4, 5, dtype=torch.float64)}

    def draws(m):
        x = base["e" if m is ember else "t"]
        return [m.rand_like(x), m.randn_like(x), m.randint_like(x, 10), m.randint_like(x, 3, 9),
                m.randn_like(x, dtype=m.float32)]
    for e, t in zip(*both(4, draws)):
        assert_bits(e, t)


@pytest.mark.parametrize("n", [1, 2, 10, 257, 5000])
def test_randperm(n):
    for seed in SEEDS:
        assert_bits(*both(seed, lambda m: m.randperm(n)))
    assert_bits(*both(0, lambda m: m.randperm(n, dtype=m.float32)))


@pytest.mark.parametrize("pdtype", ["float32", "float64", "float16", "bfloat16"])
def test_bernoulli_tensor_p(pdtype):
    p = np.random.RandomState(0).rand(6, 7)

    def draws(m):
        probs = m.tensor(p).to(getattr(m, pdtype))
        return [m.bernoulli(probs), probs.bernoulli(),
                m.empty(3, 6, 7, dtype=m.float64).bernoulli_(probs)]         # p broadcast over a batch
    for e, t in zip(*both(3, draws)):
        assert_bits(e, t)


def test_bernoulli_scalar_p():
    def draws(m):
        return [m.empty(50).bernoulli_(0.3), m.empty(20, dtype=m.int64).bernoulli_(0.7),
                m.bernoulli(m.zeros(33), p=0.25), m.ones(10, dtype=m.bool).bernoulli_(0.5)]
    for e, t in zip(*both(6, draws)):
        assert_bits(e, t)


@pytest.mark.parametrize("dtype", FLOATS)
def test_other_distributions(dtype):
    def draws(m):
        d = getattr(m, dtype)
        return [m.empty(300, dtype=d).exponential_(1.7), m.empty(300, dtype=d).geometric_(0.3),
                m.empty(301, dtype=d).log_normal_(0.3, 0.7), m.empty(301, dtype=d).cauchy_(0.3, 0.7),
                m.empty(7, dtype=d).log_normal_(), m.empty(5, dtype=m.int64).geometric_(0.5)]
    for seed in SEEDS[:3]:
        for e, t in zip(*both(seed, draws)):
            assert_bits(e, t)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_poisson(dtype):
    rates = np.concatenate([np.random.RandomState(1).rand(40) * 30, [0.0, 0.5, 9.99, 10.0, 200.0]])

    def draws(m):
        return m.poisson(m.tensor(rates, dtype=getattr(m, dtype)).reshape(5, 9))
    assert_bits(*both(8, draws))


@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial(replacement):
    p = np.random.RandomState(2).rand(4, 50)
    p[1, :45] = 0                               # a row with few non-zero categories

    def draws(m):
        probs = m.tensor(p, dtype=m.float32)
        return [m.multinomial(probs, 5, replacement), m.multinomial(probs[0], 3, replacement),
                m.multinomial(probs, 1, replacement), probs.double().multinomial(4, replacement),
                m.multinomial(probs.half(), 5, replacement)]
    for e, t in zip(*both(11, draws)):
        assert_bits(e, t)


def test_normal_tensor_forms():
    mean = np.random.RandomState(3).rand(4, 20)
    std = np.random.RandomState(4).rand(20) + 0.1

    def draws(m):
        mt, st = m.tensor(mean, dtype=m.float32), m.tensor(std, dtype=m.float32)
        return [m.normal(mt, st), m.normal(mt, 0.5), m.normal(0.25, st), m.normal(mt[0, :5], 2.0),
                m.normal(m.tensor(mean), m.tensor(std))]
    for e, t in zip(*both(5, draws)):
        assert_bits(e, t)


def test_complex_rand_and_randn():
    for d in ("complex64", "complex128"):
        for n in (3, 8, 40):
            assert_bits(*both(2, lambda m: m.randn(n, dtype=getattr(m, d))))
            assert_bits(*both(2, lambda m: m.rand(n, dtype=getattr(m, d))))


def test_non_contiguous_targets_follow_memory_order():
    def draws(m):
        a = m.zeros(6, 5).t()
        b = m.zeros(4, 8)[:, ::2]
        c = m.zeros(2, 3, 4, 5).permute(0, 2, 3, 1)
        x = m.zeros(2, 3, 4, 4).to(memory_format=m.channels_last)
        return [a.uniform_(), a.normal_(), b.normal_(1.0, 2.0), c.normal_(), c.random_(0, 7), m.randn_like(x),
                m.rand_like(x), b.bernoulli_(0.5)]
    for e, t in zip(*both(9, draws)):
        assert_bits(e, t)


def test_interleaved_samplers_share_one_stream():
    def draws(m):
        out = []
        for k in (3, 17, 1, 32, 5):
            out += [m.randn(k), m.rand(k, dtype=m.float64), m.randint(0, 7, (k,)), m.randperm(k),
                    m.empty(k).normal_(), m.empty(k).bernoulli_(0.4), m.randn(k, dtype=m.float64),
                    m.empty(k).exponential_(), m.empty(k).log_normal_()]
        return out
    for seed in SEEDS[:2]:
        for e, t in zip(*both(seed, draws)):
            assert_bits(e, t)
        assert_same_state()


def test_explicit_generators_leave_the_default_stream_alone():
    ember.manual_seed(1)
    torch.manual_seed(1)
    ge, gt = ember.Generator().manual_seed(77), torch.Generator().manual_seed(77)
    for fn in (lambda m, g: m.randn(20, generator=g), lambda m, g: m.rand(3, generator=g),
               lambda m, g: m.randint(0, 9, (4,), generator=g), lambda m, g: m.randperm(12, generator=g),
               lambda m, g: m.empty(5).normal_(generator=g), lambda m, g: m.empty(5).uniform_(generator=g),
               lambda m, g: m.bernoulli(m.full((6,), 0.5), generator=g),
               lambda m, g: m.multinomial(m.ones(8), 3, generator=g)):
        assert_bits(fn(ember, ge), fn(torch, gt))
    np.testing.assert_array_equal(ge.get_state().numpy(), gt.get_state().numpy())
    assert_bits(ember.randn(4), torch.randn(4))              # the default streams were not advanced
    ge.set_state(ember.tensor(gt.get_state().numpy()))
    assert_bits(ember.rand(4, generator=ge), torch.rand(4, generator=gt))


def test_generator_pickles_its_stream():
    g = ember.Generator().manual_seed(3)
    g.manual_seed(3).get_state()
    state = pickle.loads(pickle.dumps(g.get_state()))
    a = ember.randn(5, generator=g)
    g.set_state(state)
    np.testing.assert_array_equal(ember.randn(5, generator=g).numpy(), a.numpy())


# ---- modules, init, dropout ----------------------------------------------------------------------
MODULES = {
    "Linear": lambda nn: nn.Linear(3, 4),
    "Conv2d": lambda nn: nn.Conv2d(3, 8, 3),
    "Conv1d_nobias": lambda nn: nn.Conv1d(4, 6, 2, groups=2, bias=False),
    "ConvTranspose2d": lambda nn: nn.ConvTranspose2d(3, 4, 3),
    "BatchNorm2d": lambda nn: nn.BatchNorm2d(4),
    "Embedding": lambda nn: nn.Embedding(10, 4, padding_idx=1),
    "LSTM": lambda nn: nn.LSTM(3, 5, num_layers=2, bidirectional=True),
    "GRU": lambda nn: nn.GRU(3, 5, bias=False),
    "MultiheadAttention": lambda nn: nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True),
    "TransformerEncoder": lambda nn: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2),
    "Transformer": lambda nn: nn.Transformer(8, 2, 1, 1, 16),
    "Sequential": lambda nn: nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4, 2)),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_module_init_equals_torchs(name):
    em, tm = both(0, lambda m: MODULES[name](m.nn))
    es, ts = em.state_dict(), tm.state_dict()
    assert list(es) == list(ts)
    for k in es:
        assert_bits(es[k], ts[k])
    assert_same_state()


@pytest.mark.parametrize("init", ["uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_", "trunc_normal_", "trunc_normal_narrow", "orthogonal_",
                                  "sparse_"])
def test_nn_init(init):
    calls = {"trunc_normal_narrow": lambda nn, w: nn.init.trunc_normal_(w, 0.0, 1.0, 1.5, 2.5),
             "sparse_": lambda nn, w: nn.init.sparse_(w, 0.3),
             "kaiming_normal_": lambda nn, w: nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")}
    call = calls.get(init, lambda nn, w: getattr(nn.init, init)(w))
    e, t = both(12, lambda m: call(m.nn, m.empty(6, 9)))
    if init == "orthogonal_":        # the draws are torch's; the QR factorisation may differ in the last bits
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)
    else:
        assert_bits(e, t)
    assert_same_state()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_masks(p, dtype):
    x = np.random.RandomState(0).rand(4, 5, 3, 3)

    def runs(m):
        F, xt = m.nn.functional, m.tensor(x).to(getattr(m, dtype))
        return [F.dropout(xt, p), m.nn.Dropout(p)(xt), F.dropout2d(xt, p), F.dropout1d(xt[:, :, 0], p),
                F.alpha_dropout(xt, p, training=True), F.feature_alpha_dropout(xt, p, training=True),
                F.dropout(xt, 1.0), F.dropout(xt, 0.0)]
    for e, t in zip(*both(3, runs)):
        assert_bits(e, t)
    assert_same_state()


def test_rrelu_noise():
    x = np.random.RandomState(1).randn(60).astype(np.float32)
    assert_bits(*both(2, lambda m: m.nn.functional.rrelu(m.tensor(x), training=True)))
    assert_same_state()


# ---- data ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("with_generator", [False, True])
def test_random_sampler_and_random_split(with_generator):
    def orders(m):
        g = m.Generator().manual_seed(5) if with_generator else None
        sampler = m.utils.data.RandomSampler(range(23), generator=g)
        replacement = m.utils.data.RandomSampler(range(9), replacement=True, num_samples=70, generator=g)
        split = m.utils.data.random_split(range(10), [0.3, 0.7], generator=g or m.default_generator)
        return [list(sampler), list(sampler), list(replacement), [s.indices for s in split],
                list(m.utils.data.SubsetRandomSampler([3, 1, 4, 1, 5], generator=g)),
                list(m.utils.data.WeightedRandomSampler([0.1, 2.0, 1.0, 0.5], 12, generator=g))]
    e, t = both(7, orders)
    assert e == t


def test_distributed_sampler_permutation():
    ds = list(range(37))
    for epoch in range(3):
        e = ember.utils.data.DistributedSampler(ds, num_replicas=3, rank=1, seed=11)
        t = torch.utils.data.DistributedSampler(ds, num_replicas=3, rank=1, seed=11)
        e.set_epoch(epoch)
        t.set_epoch(epoch)
        assert list(e) == list(t)


def test_dataloader_shuffle_order():
    def epochs(m):
        loader = m.utils.data.DataLoader(list(range(20)), batch_size=4, shuffle=True)
        return [[b.tolist() for b in loader] for _ in range(2)]
    e, t = both(3, epochs)
    assert e == t


def test_vision_transform_draws():
    from ember.vision import transforms as T
    img = ember.zeros(3, 20, 30)
    ember.manual_seed(4)
    crops = [T.RandomCrop.get_params(img, (8, 9)) for _ in range(5)]
    flips = [T.RandomHorizontalFlip(0.5)(ember.arange(4.0).reshape(1, 4))[0].tolist() for _ in range(5)]
    torch.manual_seed(4)     # torchvision's draws: randint(0, h - th + 1), randint(0, w - tw + 1); rand(1) < p
    t_crops = [(torch.randint(0, 13, size=(1,)).item(), torch.randint(0, 22, size=(1,)).item(), 8, 9)
               for _ in range(5)]
    t_flips = [[3.0, 2.0, 1.0, 0.0] if torch.rand(1) < 0.5 else [0.0, 1.0, 2.0, 3.0] for _ in range(5)]
    assert crops == t_crops and flips == t_flips


# ---- speed ---------------------------------------------------------------------------------------
def test_large_draws_stay_vectorised():
    import time
    ember.manual_seed(0)
    start = time.perf_counter()
    ember.randn(1_000_000)
    ember.rand(1_000_000)
    ember.empty(1_000_000).bernoulli_(0.5)
    assert time.perf_counter() - start < 2.0


def test_spectral_norm_vectors_equal_torchs():
    """spectral_norm draws u and v with normal_ on new tensors (torch's order), so after the same seed the buffers
    (and the normalised weight) agree."""
    for lib in (torch, ember):
        lib.manual_seed(5)
    t = torch.nn.utils.spectral_norm(torch.nn.Linear(6, 4))
    e = ember.nn.utils.spectral_norm(ember.nn.Linear(6, 4))
    for name in ("weight_u", "weight_v", "weight_orig"):
        np.testing.assert_allclose(getattr(e, name).detach().numpy(), getattr(t, name).detach().numpy(), rtol=1e-6,
                                   atol=1e-7)

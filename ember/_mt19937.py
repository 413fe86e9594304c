"""PyTorch's CPU random engine: a 32-bit Mersenne Twister (mt19937) plus the cached Box-Muller samples.

NumPy's MT19937 bit generator runs the same recurrence and tempering; after `_legacy_seeding(seed)`
(Matsumoto and Nishimura's init_genrand of the low 32 bits) it yields the words PyTorch's engine
yields for that seed, so draws are vectorised through `random_raw`. This module adds what PyTorch
keeps beside the words (the full 64-bit seed, the two cached normal samples) and the byte layout of
`torch.get_rng_state()`, so states move between the two libraries."""
import numpy as np

STATE_WORDS = 624
STATE_BYTES = 5056     # sizeof(CPUGeneratorImplState) on 64-bit little-endian platforms

# Byte layout of the state tensor: the legacy TH generator struct (seed, left, seeded, next, the
# 624 words widened to 64 bits, three doubles of which only normal_y is used, a validity flag),
# then the cached float normal sample and its flag; padding bytes are zero.
_LAYOUT = np.dtype({
    "names": ["seed", "left", "seeded", "next", "words", "normal_x", "normal_y", "normal_rho", "normal_valid",
              "float_normal", "float_normal_valid"],
    "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", STATE_WORDS), "<f8", "<f8", "<f8", "<i4", "<f4", "u1"],
    "offsets": [0, 8, 12, 16, 24, 5016, 5024, 5032, 5040, 5048, 5052],
    "itemsize": STATE_BYTES,
})

_SHIFT32 = np.uint64(32)


class MT19937:
    """One stream: the mt19937 words, the seed it started from, and the cached normal samples."""

    __slots__ = ("bits", "seed", "fresh", "double_normal", "float_normal", "_np_generator")

    def __init__(self, seed):
        self.bits = np.random.MT19937()
        self._np_generator = None
        self.reseed(seed)

    def reseed(self, seed):
        """init_genrand(seed mod 2**32); the full 64-bit seed is kept for initial_seed()."""
        self.bits._legacy_seeding(seed & 0xFFFFFFFF)
        self.seed = seed
        self.fresh = True              # no word drawn since seeding (PyTorch then reports next = 0)
        self.double_normal = None
        self.float_normal = None

    # ---- raw draws -------------------------------------------------------------------------------
    def u32(self, n):
        """n words, as uint64 (the type NumPy hands them out in)."""
        self.fresh = False
        return self.bits.random_raw(n)

    def u64(self, n):
        """n 64-bit values, each made of two words, the first one the high half (PyTorch's random64)."""
        self.fresh = False
        raw = self.bits.random_raw(2 * n)
        return (raw[0::2] << _SHIFT32) | raw[1::2]

    def word(self):
        self.fresh = False
        return int(self.bits.random_raw())

    def numpy_generator(self):
        """A NumPy Generator drawing from this stream (for samplers PyTorch has no CPU kernel of its own for)."""
        self.fresh = False
        if self._np_generator is None:
            self._np_generator = np.random.Generator(self.bits)
        return self._np_generator

    # ---- the state tensor's bytes --------------------------------------------------------------
    def to_bytes(self):
        st = self.bits.state["state"]
        rec = np.zeros((), _LAYOUT)
        pos = int(st["pos"])
        rec["seed"] = self.seed
        rec["left"] = STATE_WORDS + 1 - pos
        rec["seeded"] = 1
        rec["next"] = 0 if self.fresh else pos
        rec["words"] = st["key"]
        if self.double_normal is not None:
            rec["normal_valid"] = 1
            rec["normal_y"] = self.double_normal
        if self.float_normal is not None:
            rec["float_normal_valid"] = 1
            rec["float_normal"] = self.float_normal
        return np.frombuffer(rec.tobytes(), np.uint8).copy()

    def from_bytes(self, raw):
        """Restore from a state produced by to_bytes or by torch.get_rng_state()."""
        if raw.size != STATE_BYTES:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {STATE_BYTES} but found the input RNG "
                               f"state size to be {raw.size}")
        rec = np.frombuffer(np.ascontiguousarray(raw).tobytes(), _LAYOUT)[0]
        left, nxt = int(rec["left"]), int(rec["next"])
        if not (rec["seeded"] and 0 < left <= STATE_WORDS and nxt <= STATE_WORDS):
            raise RuntimeError("Invalid mt19937 state")
        key = rec["words"].astype(np.uint32)      # PyTorch keeps the low 32 bits of each stored word
        self.bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": STATE_WORDS + 1 - left}}
        self.seed = int(rec["seed"])
        self.fresh = left == 1 and nxt == 0
        self.double_normal = float(rec["normal_y"]) if rec["normal_valid"] else None
        self.float_normal = float(rec["float_normal"]) if rec["float_normal_valid"] else None

"""torch.backends.cpu: the CPU's vector capability as torch reports it."""


def get_cpu_capability():
    """'AVX512', 'AVX2' or 'DEFAULT' from the CPU flags Linux reports ('DEFAULT' elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return "DEFAULT"
    flags = set(info.split())
    if "avx512f" in flags:
        return "AVX512"
    return "AVX2" if "avx2" in flags else "DEFAULT"

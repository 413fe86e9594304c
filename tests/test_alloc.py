"""ember._alloc: glibc heap thresholds fixed at import unless the user chose their own."""
import os
import subprocess
import sys

import pytest

glibc = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")


def _tuned(**env):
    code = "import ember, ember._alloc as a; print(a.tune())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**{k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}, **env})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip() == "True"


@pytest.mark.skipif(not glibc, reason="glibc only")
def test_thresholds_set_on_glibc():
    assert _tuned()


@pytest.mark.skipif(not glibc, reason="glibc only")
@pytest.mark.parametrize("env", [{"EMBER_KEEP_MALLOC": "1"}, {"MALLOC_TRIM_THRESHOLD_": "1048576"},
                                 {"MALLOC_MMAP_THRESHOLD_": "1048576"}])
def test_user_choice_is_kept(env):
    assert not _tuned(**env)


@pytest.mark.skipif(not glibc, reason="glibc only")
def test_freed_arrays_are_reused_without_new_page_faults():
    """After a warm-up, a loop that allocates and frees a few MB-sized arrays faults no new pages."""
    code = "\n".join([
        "import resource, numpy as np, ember",
        "def step():",
        "    a = np.ones(3 << 20, np.uint8); b = np.ones(5 << 20, np.uint8); del a",
        "    c = np.ones(7 << 20, np.uint8); del b, c",
        "for _ in range(3): step()",
        "f = resource.getrusage(resource.RUSAGE_SELF).ru_minflt",
        "for _ in range(20): step()",
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f)",
    ])
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) < 100

"""numba's target is pinned only where that can work, and reported as it was built."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

CHECK = """
import os, sys
from topics import reproducibility as r
if sys.argv[1] == "late":
    import umap  # numba compiles for the host here
pinned = r.pin_numba_target()
import umap  # noqa: F811
print(pinned, r.numba_target(), os.environ.get("NUMBA_CPU_NAME"))
"""


def _run(order: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CPU_NAME"}
    done = subprocess.run(
        [sys.executable, "-c", CHECK, order], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_pin_before_numba_compiles_is_in_force():
    assert _run("early") == ["True", "generic", "generic"]


def test_pin_after_numba_compiled_is_refused_and_the_host_is_reported():
    pinned, target, variable = _run("late")
    assert pinned == "False" and target.startswith("host:") and variable == "None"


KERNELS = """
import os, sys
from topics import reproducibility as r
if sys.argv[1] == "late":
    import numpy  # NumPy picks its loops and loads OpenBLAS here
pinned = r.pin_cpu_kernels()
print(pinned, r.numpy_simd(), os.environ.get("NPY_DISABLE_CPU_FEATURES", "-").replace(" ", "+"))
"""


def _kernels(order: str) -> list[str]:
    unset = {"NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    done = subprocess.run(
        [sys.executable, "-c", KERNELS, order], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_numpy_pin_before_import_caps_simd_at_avx2():
    from topics.reproducibility import NUMPY_DISABLED

    pinned, simd, variable = _kernels("early")
    assert pinned == "True" and variable == NUMPY_DISABLED.replace(" ", "+")
    assert simd in {"X86_V3", "X86_V2", "baseline"}  # never an AVX-512 target


def test_numpy_pin_after_import_is_refused():
    pinned, _, variable = _kernels("late")
    assert pinned == "False" and variable == "-"

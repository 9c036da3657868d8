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

"""Fixtures of the reproducibility tests: the default seeds job under kernel and thread variants."""

from __future__ import annotations

import pytest
from repro_helpers import finish_seeds_job, start_seeds_job

VARIANTS: dict[str, dict[str, str]] = {
    "as_is": {"PYTHONHASHSEED": "0"},
    # one thread everywhere: torch takes its intra-op thread count from OMP_NUM_THREADS
    "one_thread": {
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1",
        "PYTHONHASHSEED": "1",
    },
    # kernels of an older CPU: no AVX in ATen, oneDNN, MKL or OpenBLAS
    "old_kernels": {
        "ATEN_CPU_CAPABILITY": "default",
        "ONEDNN_MAX_CPU_ISA": "SSE41",
        "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
        "OPENBLAS_CORETYPE": "Nehalem",
        "PYTHONHASHSEED": "2",
    },
}


@pytest.fixture(scope="session")
def jobs(tmp_path_factory) -> dict[str, tuple]:
    """Each variant's job folder and its root (with its own caches and MLflow store).

    Session-scoped: ``as_is`` is also the fresh default job of ``test_expected_seed_topics``.
    """
    roots = {name: tmp_path_factory.mktemp(name) for name in VARIANTS}
    started = {name: start_seeds_job(roots[name], env) for name, env in VARIANTS.items()}
    return {
        name: (finish_seeds_job(roots[name], proc), roots[name]) for name, proc in started.items()
    }

"""Same seeded results on any x86-64 machine: the settings a fit needs beyond its seed.

A seeded run already repeats exactly on one machine. Across machines three things can differ
(measured in ``docs/reproducibility.md``):

- the embeddings' float32 noise between CPU kernels and thread counts (~1e-6), which changes
  the topics: handled by deterministic embeddings (``embedding.deterministic``,
  :func:`topics.embedding.base.snap_to_grid`);
- numba code (UMAP, pynndescent) compiled with ``fastmath`` for the host CPU, whose vector
  width differs between CPUs: :func:`pin_numba_target` compiles it for a generic x86-64 CPU;
- thread counts inside the fits: :func:`fixed_threads` runs the topic model with one BLAS/OpenMP
  thread, so a sum never splits differently on a machine with more cores;
- NumPy's SIMD loops and OpenBLAS's kernels, both picked at import for the host CPU (AVX-512
  variants round differently from AVX2 ones): :func:`pin_cpu_kernels` caps NumPy at AVX2
  (``X86_V3``) and OpenBLAS at its Haswell kernels.

:func:`pin_cpu_targets` applies all the pins; call it before anything imports NumPy.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

#: numba's name of the CPU that every x86-64 machine can run code for (SSE2, no FMA, no AVX).
NUMBA_TARGET = "generic"
#: NumPy (2.4) dispatch targets above AVX2 (``X86_V3``), switched off at NumPy's import
NUMPY_DISABLED = "X86_V4 AVX512_ICL AVX512_SPR"
#: OpenBLAS kernels used on every CPU that has AVX2 and FMA
OPENBLAS_CORE = "Haswell"


def _host_has_avx2() -> bool:
    """Whether the CPU has AVX2 and FMA (read from Linux's ``/proc/cpuinfo``; elsewhere: no)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return False
    flags = next(
        (ln.split(":", 1)[1].split() for ln in text.splitlines() if ln.startswith("flags")), []
    )
    return "avx2" in flags and "fma" in flags


def pin_cpu_kernels() -> bool:
    """Cap NumPy's SIMD loops at AVX2 and use OpenBLAS's Haswell kernels, where still possible.

    Both are chosen when NumPy is imported (NumPy loads OpenBLAS), from the host CPU: on an
    AVX-512 machine NumPy's ``exp``/``log`` loops and OpenBLAS's SkylakeX kernels round
    differently from the AVX2 ones, enough to change the seeds' topics
    (``docs/reproducibility.md``). Variables the user set are respected; OpenBLAS is left alone
    on a CPU without AVX2.

    Returns:
        Whether NumPy was not imported yet, so the caps are in force in this process.
    """
    if "numpy" in sys.modules:
        log.warning(
            "numpy is already imported: its SIMD loops and BLAS kernels can no longer be "
            "pinned in this process; results may differ on another CPU (docs/reproducibility.md)"
        )
        return False
    os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", NUMPY_DISABLED)
    if _host_has_avx2():
        os.environ.setdefault("OPENBLAS_CORETYPE", OPENBLAS_CORE)
    return True


def pin_cpu_targets() -> bool:
    """Apply every pin of this module (:func:`pin_cpu_kernels`, :func:`pin_numba_target`).

    Returns:
        Whether all of them are in force in this process.
    """
    kernels = pin_cpu_kernels()
    return pin_numba_target() and kernels


def _numba_codegen_started() -> bool:
    """Whether numba has built its CPU code generator (its target CPU is then fixed)."""
    if "numba" not in sys.modules:
        return False
    from numba.core.registry import cpu_target

    # a (thread-safe) cached property: present in the instance dict once built
    return "_toplevel_target_context" in vars(cpu_target)


def pin_numba_target() -> bool:
    """Make numba compile for a generic x86-64 CPU instead of the host, where still possible.

    numba reads the target CPU once, when it builds its code generator (on the first
    compilation, e.g. when ``umap`` is imported). Call this before that: in the ``topics-run``
    entry point and the tests' conftest. A ``NUMBA_CPU_NAME`` the user set is respected.
    Setting the variable after the code generator exists would not change the code but would
    make numba's on-disk cache claim the generic target, so it is then left alone.

    Returns:
        Whether the target numba will use is the one now in ``NUMBA_CPU_NAME``.
    """
    if _numba_codegen_started():
        if os.environ.get("NUMBA_CPU_NAME") != numba_target():
            log.warning(
                "numba already compiles for %s: its target can no longer be pinned in this "
                "process; results may differ on another CPU (docs/reproducibility.md)",
                numba_target(),
            )
        return False
    os.environ.setdefault("NUMBA_CPU_NAME", NUMBA_TARGET)
    return True


def numba_target() -> str:
    """The CPU numba compiles for in this process, as built (not as the environment says).

    ``generic`` when the pinned target is in force, ``host:<cpu>`` when numba compiles for
    this machine's CPU, ``not loaded`` when numba has compiled nothing yet.
    """
    if not _numba_codegen_started():
        return "not loaded"
    import llvmlite.binding as llvm
    from numba.core import config
    from numba.core.registry import cpu_target

    codegen = cpu_target.target_context.codegen()
    # the feature string is frozen when the code generator is built; the name is re-read
    # from the environment on every compilation, so only both together say what is in force
    features = getattr(codegen, "_tm_features", None)
    if config.CPU_NAME and features == "":
        return str(config.CPU_NAME)
    return f"host:{llvm.get_host_cpu_name()}"


@contextmanager
def fixed_threads(n: int = 1) -> Iterator[None]:
    """Run the block with ``n`` BLAS/OpenMP threads and ``n`` numba threads, then restore them.

    OpenBLAS and OpenMP reductions may split a sum differently with another thread count;
    seeded UMAP runs single-threaded anyway, so a topic fit loses little.
    """
    from threadpoolctl import threadpool_limits

    numba_threads = None
    if "numba" in sys.modules:
        import numba

        numba_threads = numba.get_num_threads()
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        if numba_threads is not None:
            import numba

            numba.set_num_threads(numba_threads)


def numpy_simd() -> str:
    """The widest SIMD target NumPy dispatches to in this process (``X86_V3`` when pinned)."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    enabled = [t for t in __cpu_dispatch__ if __cpu_features__.get(t)]
    return enabled[-1] if enabled else "baseline"


def blas_cores() -> str:
    """OpenBLAS's kernel family per loaded library (``Haswell`` when pinned), comma-separated."""
    from threadpoolctl import threadpool_info

    cores = {
        str(i.get("architecture")) for i in threadpool_info() if i["internal_api"] == "openblas"
    }
    return ",".join(sorted(cores))


def provenance() -> dict[str, str]:
    """Tags recording the settings that decide whether a run repeats on another machine."""
    tags = {
        "repro.numba_target": numba_target(),
        "repro.numpy_simd": numpy_simd(),
        "repro.openblas_core": blas_cores(),
    }
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "PYTHONHASHSEED"):
        tags[f"repro.env.{name}"] = os.environ.get(name, "")
    return tags

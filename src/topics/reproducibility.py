"""Same seeded results on any x86-64 machine: the settings a fit needs beyond its seed.

A seeded run already repeats exactly on one machine. Across machines three things can differ
(measured in ``docs/reproducibility.md``):

- the embeddings' float32 noise between CPU kernels and thread counts (~1e-6), which changes
  the topics: handled by deterministic embeddings (``embedding.deterministic``,
  :func:`topics.embedding.base.snap_to_grid`);
- numba code (UMAP, pynndescent) compiled with ``fastmath`` for the host CPU, whose vector
  width differs between CPUs: :func:`pin_numba_target` compiles it for a generic x86-64 CPU;
- thread counts inside the fits: :func:`fixed_threads` runs the topic model with one BLAS/OpenMP
  thread, so a sum never splits differently on a machine with more cores.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

#: numba's name of the CPU that every x86-64 machine can run code for (SSE2, no FMA, no AVX).
NUMBA_TARGET = "generic"


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


def provenance() -> dict[str, str]:
    """Tags recording the settings that decide whether a run repeats on another machine."""
    tags = {"repro.numba_target": numba_target()}
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "PYTHONHASHSEED"):
        tags[f"repro.env.{name}"] = os.environ.get(name, "")
    return tags

"""Where the parallel parts of a job run: this process (``local``) or a Ray cluster (``ray``).

A backend maps a function over chunks of work, with per-worker state built once per worker::

    with build_compute(cfg.compute) as compute:
        for result in compute.map_chunks(load_model, apply_model, chunked(texts, compute.chunk_size)):
            ...
"""

from topics.compute.base import (
    DEFAULT_CHUNK_SIZE,
    ChunkError,
    Compute,
    ComputeError,
    Constant,
    WorkerSetupError,
    chunked,
)
from topics.compute.factory import build_compute
from topics.compute.local import LocalCompute

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ChunkError",
    "Compute",
    "ComputeError",
    "Constant",
    "LocalCompute",
    "RayCompute",
    "WorkerSetupError",
    "build_compute",
    "chunked",
]


def __getattr__(name: str):
    """Import ``RayCompute`` only when asked for, so ``ray`` stays optional."""
    if name == "RayCompute":
        from topics.compute.ray_backend import RayCompute

        return RayCompute
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

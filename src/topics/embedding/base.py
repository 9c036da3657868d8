"""The contract every embedding backend follows, and small helpers shared by the backends."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from topics.data.types import InputError, text_list


class ModelNotAvailableError(RuntimeError):
    """An embedding model cannot be found or loaded; the message says how to make it available."""


class Embedder(Protocol):
    """Turns texts into fixed-size float32 vectors.

    Attributes:
        name: Short human-readable name (model alias or backend name).

    """

    name: str

    def identity(self) -> str:
        """Return a stable string naming everything that decides the vectors.

        Two embedders with the same identity give the same vector for the same text, across
        processes and runs; the disk cache is keyed by it.
        """
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array of shape ``(len(texts), dim)``, one row per text, in order."""
        ...

    @property
    def dim(self) -> int:
        """Number of dimensions of each vector."""
        ...


class FittableEmbedder(Embedder, Protocol):
    """An embedder that learns from a corpus (e.g. TF-IDF + SVD) before it can embed."""

    @property
    def fitted(self) -> bool:
        """Whether ``fit`` has run."""
        ...

    def fit(self, texts: Sequence[str]) -> FittableEmbedder:
        """Learn the embedding from ``texts`` and return ``self``."""
        ...


def check_texts(texts: Sequence[str]) -> list[str]:
    """Validate a batch of texts to embed and return it as a list (see :func:`text_list`).

    Raises:
        InputError: ``texts`` is a single string, or an item is not a string.
    """
    return text_list(texts, "embed()")


def positive_int(value: Any, field: str, *, optional: bool = False) -> None:
    """Raise ``InputError`` unless ``value`` is a positive int (or ``None`` when optional)."""
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"embedding.{field} must be a positive integer, got {value!r}")


def sha256_files(paths: Iterable[Path], root: Path) -> str:
    """Return one sha256 over the names (relative to ``root``) and sha256s of ``paths``."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.relative_to(root).as_posix()):
        file_digest = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                file_digest.update(chunk)
        line = f"{path.relative_to(root).as_posix()}\t{file_digest.hexdigest()}\n"
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()


#: Deterministic embeddings are rounded to multiples of ``2**-GRID_BITS`` (about 9.5e-7).
#: A float64 forward pass differs between CPU kernels and thread counts by ~1e-16, which
#: crosses a rounding boundary of this grid for about one value in 10^9; float32 noise
#: (~1e-6, measured up to 2.5e-6 for m3e-small) crosses it for a large share of all values.
#: Rounded values are exact in float32 (|v| <= 1 needs at most 21 significant bits).
GRID_BITS = 20


def snap_to_grid(vectors: np.ndarray, bits: int = GRID_BITS) -> np.ndarray:
    """Round ``vectors`` to multiples of ``2**-bits`` and return them as float32.

    Applied to float64 vectors it makes them bitwise identical across CPUs and thread counts
    (see ``docs/reproducibility.md``); the rounding error (<= 2**-(bits+1)) is far below what
    separates two texts.
    """
    scale = float(2**bits)
    return np.ascontiguousarray(
        np.round(np.asarray(vectors, dtype=np.float64) * scale) / scale, dtype=np.float32
    )


def empty_vectors(dim: int) -> np.ndarray:
    """Return a ``(0, dim)`` float32 array, the result of embedding no texts."""
    return np.zeros((0, dim), dtype=np.float32)

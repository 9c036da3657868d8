"""The contract every embedding backend follows, and small helpers shared by the backends."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from topics.data.types import InputError


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
    """Validate a batch of texts and return it as a list.

    Raises:
        InputError: ``texts`` is a single string, or an item is not a string.

    """
    if isinstance(texts, str | bytes):
        raise InputError(
            "embed() expects a sequence of texts, got a single string; wrap it in a list: [text]"
        )
    items = list(texts)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise InputError(
                f"embed() text #{i} is {type(item).__name__}, not str; pass decoded strings only"
            )
    return items


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


def empty_vectors(dim: int) -> np.ndarray:
    """Return a ``(0, dim)`` float32 array, the result of embedding no texts."""
    return np.zeros((0, dim), dtype=np.float32)

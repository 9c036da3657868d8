"""The contract of a compute backend, its errors, and helpers shared by the backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from topics.data.types import InputError

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

#: Items per chunk when the config does not say.
DEFAULT_CHUNK_SIZE = 4096


class ComputeError(RuntimeError):
    """A compute backend cannot start, connect, or finish its work; the message says why."""


class ChunkError(ComputeError):
    """``fn`` (or ``setup``) raised on a worker; names the chunk and the original error.

    Attributes:
        index: Position of the failed item in ``items``.
        n_items: Number of items in the call.

    """

    def __init__(self, message: str, index: int, n_items: int) -> None:
        super().__init__(message)
        self.index = index
        self.n_items = n_items


class WorkerSetupError(RuntimeError):
    """``setup()`` raised on a worker (raised there, reported in the driver as a ``ChunkError``)."""


class Compute(Protocol):
    """Where the parallel parts of a job run: this process, or a Ray cluster.

    Attributes:
        name: Backend name (``local`` or ``ray``).
        chunk_size: Items per chunk the callers should cut their work into.

    """

    name: str
    chunk_size: int

    def map_chunks(
        self, setup: Callable[[], S], fn: Callable[[S, T], R], items: Sequence[T]
    ) -> Iterator[R]:
        """Apply ``fn(state, item)`` to every item, with ``state = setup()`` built once per worker.

        Results come in the order of ``items``, each as soon as it and all before it are done.
        """
        ...

    def close(self) -> None:
        """Release what the backend started (idempotent)."""
        ...

    def __enter__(self) -> Self:
        """Return the backend itself."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the backend."""
        ...


class ClosingMixin:
    """``with backend:`` closes the backend on exit."""

    def close(self) -> None:
        """Release what the backend started (nothing by default)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Constant:
    """Picklable zero-argument callable returning ``value``: a ``setup`` that ships an object.

    Args:
        value: What every worker gets as its state (pickled once per ``map_chunks`` call on Ray).

    """

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self) -> Any:
        """Return ``value``."""
        return self.value


def chunked(seq: Sequence[T], size: int) -> list[Sequence[T]]:
    """Cut ``seq`` into consecutive slices of ``size`` items (the last one may be shorter).

    Raises:
        ValueError: ``size`` is not a positive integer.

    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"chunk size must be a positive integer, got {size!r}")
    return [seq[start : start + size] for start in range(0, len(seq), size)]


def check_positive_int(value: Any, field: str, *, optional: bool = False) -> None:
    """Raise ``InputError`` naming ``compute.<field>`` unless ``value`` is a positive int."""
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        what = "a positive integer or null" if optional else "a positive integer"
        raise InputError(f"compute.{field} must be {what}, got {value!r}")


def check_optional_str(value: Any, field: str) -> None:
    """Raise ``InputError`` naming ``compute.<field>`` unless ``value`` is a non-empty str or None."""
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InputError(f"compute.{field} must be a non-empty string or null, got {value!r}")

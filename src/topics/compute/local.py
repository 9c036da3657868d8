"""The local backend: everything runs in this process, one chunk after the other."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from topics.compute.base import DEFAULT_CHUNK_SIZE, ClosingMixin, R, S, T, check_positive_int


class LocalCompute(ClosingMixin):
    """Run ``map_chunks`` as a plain loop in this process.

    Errors raised by ``setup`` or ``fn`` propagate unchanged, with their own traceback.

    Args:
        chunk_size: Items per chunk the callers should cut their work into.

    Raises:
        InputError: ``chunk_size`` is not a positive integer.

    """

    name = "local"

    def __init__(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        check_positive_int(chunk_size, "chunk_size")
        self.chunk_size = chunk_size

    def map_chunks(
        self, setup: Callable[[], S], fn: Callable[[S, T], R], items: Sequence[T]
    ) -> Iterator[R]:
        """Yield ``fn(state, item)`` for each item in order; ``setup()`` runs once, if any item."""
        if len(items) == 0:
            return
        state = setup()
        for item in items:
            yield fn(state, item)

    def __repr__(self) -> str:
        return f"LocalCompute(chunk_size={self.chunk_size})"

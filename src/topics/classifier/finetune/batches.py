"""Tokenize texts once, then cut them into padded batches (padding only to the batch's longest)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Encoded:
    """Token ids of texts, unpadded.

    Attributes:
        ids: Token ids per text (special tokens included, truncated to the limit).
        lengths: Tokens per text.
        pad_id: The tokenizer's padding id.
    """

    ids: list[list[int]]
    lengths: np.ndarray
    pad_id: int

    def __len__(self) -> int:
        return len(self.ids)


def encode(tokenizer: Any, texts: Sequence[str], max_length: int) -> Encoded:
    """Tokenize ``texts`` with a transformers tokenizer, truncating to ``max_length`` tokens."""
    ids = (
        tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"] if texts else []
    )
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    return Encoded(list(ids), np.asarray([len(x) for x in ids], dtype=np.int64), int(pad))


def bucket_order(
    lengths: np.ndarray, batch_size: int, pool: int, rng: np.random.Generator
) -> np.ndarray:
    """A shuffled order whose consecutive ``batch_size`` slices hold texts of similar length.

    The texts are shuffled, cut into pools of ``pool`` batches, sorted by length within each
    pool and cut into batches; the full batches are shuffled and the one partial batch (if
    any) goes last, so :func:`batches` can slice the order as usual. Padding falls to nearly
    nothing while every batch still mixes texts from across the corpus.

    Args:
        lengths: Tokens per text.
        batch_size: Texts per batch.
        pool: Batches per pool (>= 1; 1 only shuffles).
        rng: The epoch's generator.
    """
    order = rng.permutation(len(lengths))
    size = batch_size * pool
    sorted_pools = [
        chunk[np.argsort(lengths[chunk], kind="stable")]
        for chunk in (order[i : i + size] for i in range(0, len(order), size))
    ]
    flat = np.concatenate(sorted_pools) if sorted_pools else order
    n_full = len(flat) // batch_size
    full = flat[: n_full * batch_size].reshape(n_full, batch_size)[rng.permutation(n_full)]
    return np.concatenate([full.ravel(), flat[n_full * batch_size :]])


def batches(
    data: Encoded, order: np.ndarray, batch_size: int, device: str
) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor]]:
    """Yield ``(indices, input_ids, attention_mask)`` for consecutive slices of ``order``."""
    import torch

    for start in range(0, len(order), batch_size):
        idx = np.asarray(order[start : start + batch_size])
        width = int(data.lengths[idx].max())
        ids = np.full((len(idx), width), data.pad_id, dtype=np.int64)
        mask = np.zeros((len(idx), width), dtype=np.int64)
        for row, i in enumerate(idx):
            ids[row, : data.lengths[i]] = data.ids[i]
            mask[row, : data.lengths[i]] = 1
        yield idx, torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)

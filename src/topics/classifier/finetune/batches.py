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

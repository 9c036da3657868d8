"""Length-bucketed batch order of the fine-tuning trainer."""

from __future__ import annotations

import numpy as np
import pytest

from topics.classifier.finetune import EncoderClassifier
from topics.classifier.finetune.batches import bucket_order
from topics.data.types import InputError


def _padded(lengths: np.ndarray, order: np.ndarray, batch_size: int) -> int:
    """Tokens fed when each consecutive slice is padded to its longest text."""
    slices = (order[i : i + batch_size] for i in range(0, len(order), batch_size))
    return sum(int(lengths[s].max()) * len(s) for s in slices)


def test_bucket_order_is_a_permutation_with_little_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(8, 40, size=1000)
    order = bucket_order(lengths, batch_size=64, pool=5, rng=np.random.default_rng(1))
    assert sorted(order.tolist()) == list(range(1000))
    shuffled = np.random.default_rng(1).permutation(1000)
    assert _padded(lengths, order, 64) < 0.8 * _padded(lengths, shuffled, 64)
    # the one partial batch (1000 = 15 x 64 + 40) comes last, so slicing keeps batch bounds
    full = order[: 15 * 64].reshape(15, 64)
    assert all(np.ptp(lengths[row]) <= 10 for row in full)
    # seeded: the same generator gives the same order, another seed another
    again = bucket_order(lengths, batch_size=64, pool=5, rng=np.random.default_rng(1))
    other = bucket_order(lengths, batch_size=64, pool=5, rng=np.random.default_rng(2))
    assert np.array_equal(order, again) and not np.array_equal(order, other)


def test_bucket_order_mixes_the_corpus_across_batches():
    # texts sorted by length in the input: batches must still draw from across the corpus
    lengths = np.repeat(np.arange(10, 20), 64)
    order = bucket_order(lengths, batch_size=64, pool=2, rng=np.random.default_rng(0))
    rows = order.reshape(10, 64)
    assert all(len(set((row // 64).tolist())) > 1 for row in rows)  # not the input's blocks
    means = lengths[rows].mean(axis=1)
    assert not (np.all(np.diff(means) >= 0) or np.all(np.diff(means) <= 0))  # batches shuffled


def test_bad_bucket_pool_fails_with_a_clear_message():
    for bad in (0, 2.5, True):
        with pytest.raises(InputError, match="bucket_pool must be null or an integer >= 1"):
            EncoderClassifier(bucket_pool=bad).fit(["a", "b"], np.array([0, 1]))

"""Character n-gram overlap between short texts, for near-duplicate checks of training examples.

Texts are compared in a normalized form (:func:`comparison_key`): NFKC, Traditional to
Simplified (OpenCC ``t2s``, Taiwan / Hong Kong words to mainland ones), lowercase, letters and
digits only, so that a change of script, wording, width, case, spacing or punctuation does not
hide a copy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from topics.preprocess.normalize import normalize_for_model

# Limits of the authored set's near-duplicate test (tests/themes/test_authored.py), fixed by
# hand, not fitted: share of an example's character 5-grams inside one seed paragraph, 3-gram
# Jaccard with one seed paragraph, and 3-gram Jaccard between two authored examples.
MAX_SEED_CONTAINMENT = 0.35
MAX_SEED_JACCARD = 0.30
MAX_PAIR_JACCARD = 0.80


def comparison_key(text: str) -> str:
    """Return the comparison form of ``text``: NFKC, Simplified, lowercase, alphanumerics only."""
    return "".join(ch for ch in normalize_for_model(text).lower() if ch.isalnum())


def _gram_rows(keys: Sequence[str], n: int, vocab: dict[str, int]) -> tuple[list[int], list[int]]:
    """CSR ``indptr`` and ``indices`` of the character n-gram sets of ``keys``."""
    indptr, indices = [0], []
    for key in keys:
        grams = {key[i : i + n] for i in range(max(len(key) - n + 1, 1))}
        indices.extend(vocab.setdefault(g, len(vocab)) for g in sorted(grams))
        indptr.append(len(indices))
    return indptr, indices


def ngram_overlap(
    a: Sequence[str], b: Sequence[str], n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count shared character n-grams between every key of ``a`` and every key of ``b``.

    Args:
        a: Comparison keys (see :func:`comparison_key`).
        b: Comparison keys.
        n: n-gram length in characters; a key shorter than ``n`` is one n-gram.

    Returns:
        ``(shared, size_a, size_b)``: the ``len(a) x len(b)`` matrix of shared distinct n-grams
        and the number of distinct n-grams of each key.
    """
    vocab: dict[str, int] = {}
    rows = [_gram_rows(keys, n, vocab) for keys in (a, b)]
    ma, mb = (
        sparse.csr_matrix(
            (np.ones(len(idx), dtype=np.float64), idx, ptr), shape=(len(ptr) - 1, len(vocab))
        )
        for ptr, idx in rows
    )
    shared = (ma @ mb.T).toarray()
    return shared, np.diff(ma.indptr).astype(float), np.diff(mb.indptr).astype(float)


def containment(a: Sequence[str], b: Sequence[str], n: int = 5) -> np.ndarray:
    """Share of each ``a`` key's n-grams found in each ``b`` key (``len(a) x len(b)``)."""
    shared, size_a, _ = ngram_overlap(a, b, n)
    return shared / np.maximum(size_a[:, None], 1.0)


def jaccard(a: Sequence[str], b: Sequence[str], n: int = 3) -> np.ndarray:
    """Jaccard similarity of the n-gram sets of each ``a`` key and each ``b`` key."""
    shared, size_a, size_b = ngram_overlap(a, b, n)
    return shared / np.maximum(size_a[:, None] + size_b[None, :] - shared, 1.0)

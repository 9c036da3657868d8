"""Exact and near-duplicate document detection (MinHash with LSH banding, then exact Jaccard)."""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_PRIME = (1 << 61) - 1


@dataclass(frozen=True)
class DuplicatePair:
    """``doc_id`` repeats ``duplicate_of`` (the earlier document) with this Jaccard similarity."""

    doc_id: str
    duplicate_of: str
    kind: str  # exact or near
    similarity: float


def _shingles(text: str, k: int) -> set[str]:
    text = re.sub(r"\s+", "", text)
    if len(text) <= k:
        return {text} if text else set()
    return {text[i : i + k] for i in range(len(text) - k + 1)}


def _signature(shingles: set[str], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    hashes = np.fromiter((zlib.crc32(s.encode()) for s in shingles), dtype=np.uint64)
    # crc32 < 2**32 and a < 2**31, so a * x + b stays below 2**64: no uint64 overflow
    mixed = (np.outer(hashes, a) + b) % np.uint64(_PRIME)
    return mixed.min(axis=0)


def find_duplicates(
    doc_ids: Sequence[str],
    texts: Sequence[str],
    threshold: float = 0.8,
    shingle: int = 5,
    num_perm: int = 64,
    bands: int = 16,
    seed: int | None = 0,
) -> list[DuplicatePair]:
    """Find exact and near-duplicate documents.

    Args:
        doc_ids: Document ids, in corpus order (the first of a group is the original).
        texts: Normalized document texts.
        threshold: Jaccard similarity of character shingles from which a pair is near-duplicate.
        shingle: Shingle length in characters.
        num_perm: MinHash permutations; must be divisible by ``bands``.
        bands: LSH bands; candidates share one band, then their exact Jaccard is checked.
        seed: Seed of the hash permutations.

    Returns:
        One pair per duplicate document, pointing at the earliest document it repeats.
    """
    if num_perm % bands:
        raise ValueError("dedup.num_perm must be divisible by dedup.bands")
    pairs: dict[str, DuplicatePair] = {}
    first_by_hash: dict[str, str] = {}
    for doc_id, text in zip(doc_ids, texts, strict=True):
        key = hashlib.sha1(re.sub(r"\s+", "", text).encode()).hexdigest()
        if key in first_by_hash:
            pairs[doc_id] = DuplicatePair(doc_id, first_by_hash[key], "exact", 1.0)
        else:
            first_by_hash[key] = doc_id
    rng = np.random.default_rng(seed if seed is not None else 0)
    a = rng.integers(1, 1 << 31, size=num_perm, dtype=np.uint64)
    b = rng.integers(0, 1 << 31, size=num_perm, dtype=np.uint64)
    rows = num_perm // bands
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    shingle_sets: list[set[str]] = []
    order = list(range(len(doc_ids)))
    for i in order:
        sh = _shingles(texts[i], shingle)
        shingle_sets.append(sh)
        if not sh or doc_ids[i] in pairs:
            continue
        sig = _signature(sh, a, b)
        candidates: set[int] = set()
        for band in range(bands):
            bucket = buckets[(band, sig[band * rows : (band + 1) * rows].tobytes())]
            candidates.update(bucket)
            bucket.append(i)
        best = None
        for j in sorted(candidates):
            inter = len(sh & shingle_sets[j])
            sim = inter / (len(sh) + len(shingle_sets[j]) - inter)
            if sim >= threshold and (best is None or sim > best[1]):
                best = (j, sim)
        if best is not None:
            pairs[doc_ids[i]] = DuplicatePair(
                doc_ids[i], doc_ids[best[0]], "near", round(best[1], 4)
            )
    return [pairs[d] for d in doc_ids if d in pairs]

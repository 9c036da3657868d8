"""Content hashes shared across stages: one key per text, one fingerprint per corpus.

Both are sha256 hex digests. They name cached work (embedding cache entries, the TF-IDF
embedder's identity) and the ``corpus_fingerprint`` tag of a run, so changing either changes
every cache key built from it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def text_key(text: str) -> str:
    """Return the key of one text: the hex sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def corpus_fingerprint(texts: Iterable[str]) -> str:
    """Return the hex sha256 over the :func:`text_key` of each text, in order."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text_key(text).encode("ascii"))
    return digest.hexdigest()

"""Adapters that hand BERTopic the project's embedder and tokenizer.

BERTopic must never load an embedding model itself: every embedding it needs (KeyBERT words,
zero-shot topic names, guided seed words) goes through :class:`CallableEmbedder`, which wraps
the project's embedder. :class:`TokenFilter` keeps the vocabulary to real words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from bertopic.backend import BaseEmbedder

Tokenizer = Callable[[str], list[str]]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[^\W\d_]")


def is_word(token: str) -> bool:
    """Return whether ``token`` can stand in a topic's word list.

    A word holds a CJK ideograph, or at least one letter and two characters ("AI", "5G", "GPU").
    Pure digits, punctuation, whitespace and single Latin letters are not words.
    """
    token = token.strip()
    if not token:
        return False
    if _CJK.search(token):
        return True
    return len(token) >= 2 and _LETTER.search(token) is not None


class TokenFilter:
    """Tokenizer wrapper that drops tokens which are not words (see :func:`is_word`).

    Args:
        tokenizer: The project tokenizer, ``text -> tokens``.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> list[str]:
        """Tokenize ``text`` and keep the word tokens, stripped, in order."""
        return [tok.strip() for tok in self.tokenizer(text) if is_word(tok)]

    def __repr__(self) -> str:
        return f"TokenFilter({self.tokenizer!r})"


class CallableEmbedder(BaseEmbedder):
    """BERTopic embedding backend around an ``embed(texts) -> np.ndarray`` callable.

    Args:
        embed_fn: Returns one float vector per input text, in order.
    """

    def __init__(self, embed_fn: Callable[[list[str]], Any]) -> None:
        super().__init__()
        self.embed_fn = embed_fn

    def embed(self, documents: Sequence[str], verbose: bool = False) -> np.ndarray:
        """Embed ``documents`` (BERTopic's backend API; ``verbose`` is ignored)."""
        texts = [str(doc) for doc in documents]
        vectors = np.asarray(self.embed_fn(texts), dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise ValueError(
                f"the embedder returned an array of shape {vectors.shape} for {len(texts)} texts; "
                "it must return one row per text (shape (n_texts, dim))"
            )
        return vectors


def as_backend(embedder: Any) -> BaseEmbedder | None:
    """Wrap ``embedder`` for BERTopic.

    Args:
        embedder: ``None``; a BERTopic ``BaseEmbedder`` (returned as is); an object with an
            ``embed(texts)`` method (the project's embedders); or a plain callable.

    Returns:
        A backend BERTopic uses without loading any model, or ``None``.

    Raises:
        TypeError: ``embedder`` is none of the above.
    """
    if embedder is None or isinstance(embedder, BaseEmbedder):
        return embedder
    embed = getattr(embedder, "embed", None)
    if callable(embed):
        return CallableEmbedder(embed)
    if callable(embedder):
        return CallableEmbedder(embedder)
    raise TypeError(
        f"embedder of type {type(embedder).__name__} has no embed(texts) method and is not "
        "callable; pass a topics.embedding embedder or a function texts -> np.ndarray"
    )

"""Views of the units for the models of a consensus: their embeddings, or their words.

``topic_model.consensus.views`` lists the views the models take in turn (model ``k`` fits view
``k mod len(views)``): ``embedding`` (the run's sentence embeddings) and ``lexical`` (TF-IDF of
the units' tokens reduced by truncated SVD, L2-normalized: the ``tfidf_svd`` embedder fitted on
the units). A lexical view lets words that name a topic (股票, 楼盘, 球队) vote beside the
semantic neighbourhood of the embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from topics.data.types import InputError

VIEWS = ("embedding", "lexical")
#: Size of the lexical view (clipped to what the units allow).
LEXICAL_COMPONENTS = 128


class _TokensOf:
    """Tokenizer that returns the tokens already cut for each text (picklable)."""

    def __init__(self, texts: Sequence[str], token_lists: Sequence[Sequence[str]]) -> None:
        self.tokens = {text: list(tokens) for text, tokens in zip(texts, token_lists, strict=True)}

    def __call__(self, text: str) -> list[str]:
        return self.tokens.get(text, [])


def lexical_view(
    texts: Sequence[str], token_lists: Sequence[Sequence[str]], seed: int | None
) -> np.ndarray:
    """TF-IDF over the units' tokens, truncated SVD, L2-normalized (``float32``)."""
    from topics.embedding.tfidf import TfidfSvdEmbedder

    if len(token_lists) != len(texts):
        raise InputError(f"lexical view: {len(token_lists)} token lists for {len(texts)} texts")
    embedder = TfidfSvdEmbedder(
        _TokensOf(texts, token_lists), n_components=LEXICAL_COMPONENTS, min_df=2, seed=seed
    )
    return np.asarray(embedder.fit(list(texts)).embed(list(texts)), dtype=np.float32)


def unit_views(
    names: Sequence[str],
    embeddings: np.ndarray,
    texts: Sequence[str] | None,
    token_lists: Sequence[Sequence[str]] | None,
    seed: int | None,
) -> list[np.ndarray]:
    """The vectors of each named view, in order."""
    out = []
    for name in names:
        if name == "embedding":
            out.append(np.asarray(embeddings, dtype=np.float32))
        elif name == "lexical":
            if texts is None or token_lists is None:
                raise InputError("topic_model.consensus.views=lexical needs the units' tokens")
            out.append(lexical_view(texts, token_lists, seed))
        else:
            raise InputError(f"topic_model.consensus.views: {name!r}; use {', '.join(VIEWS)}")
    return out

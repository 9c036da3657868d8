"""The one module that touches BERTopic internals (written against bertopic 0.17.4).

Every read or write of BERTopic's fitted attributes (``topics_``, ``topic_embeddings_``,
``c_tf_idf_``, ...) and of its private members (``_outliers``) happens here, behind small
functions; the rest of :mod:`topics` calls those and BERTopic's public methods only.
``tests/topic_model/test_bertopic_compat.py`` checks, on a tiny real fit, each upstream
behaviour these functions rely on, and names the function and the BERTopic version when one
changes; a test there also keeps the rest of the package off the internals.

**Why units carry an invisible separator.** BERTopic counts c-TF-IDF words over one text per
topic: its units joined with ``" "`` (``documents.groupby("Topic").agg({"Document": " ".join})``
in ``_extract_topics``, ``update_topics`` and ``partial_fit``), passed through
``_preprocess_text`` (newlines and tabs become spaces) to the vectorizer. The vectorizer only
ever sees strings, and no public hook hands it document ids or per-document tokens. To tokenize
each unit once (and reuse the run's own tokenization pass), :class:`UnitTokenizer` must cut
those texts back into units, and units contain spaces, so a space cannot be the boundary.
Hence :data:`UNIT_END` ends every unit handed to BERTopic (:func:`mark_units`).
Alternatives were weighed and rejected:

* unit ids instead of texts as BERTopic's documents: KeyBERT embeds the representative
  documents, ``reduce_outliers(strategy="c-tf-idf")`` and ``transform`` vectorize documents,
  and ``representative_docs_`` is saved with the model; all would see ids, not text;
* overriding ``BERTopic._c_tf_idf`` to count per unit: it ties us to a private method's
  signature, a stronger dependency than the joining contract;
* cutting the joined text by matching remembered units at each position: ambiguous when a
  unit followed by a space begins another unit, and ``_preprocess_text`` alters units that hold
  newlines or tabs.

The mark stays inside BERTopic: texts in our own tables are never marked, and
:func:`unmark_representative_docs` cleans the one attribute BERTopic fills with documents.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from bertopic import BERTopic
from bertopic.vectorizers import OnlineCountVectorizer
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import CountVectorizer

from topics.topic_model.backend import Tokenizer, is_word

#: The BERTopic version this module was written and checked against.
WRITTEN_FOR = "0.17.4"

#: Appended to every unit handed to BERTopic, so that :class:`UnitTokenizer` can cut BERTopic's
#: per-topic texts (the units joined by spaces) back into units. An invisible format character:
#: sentence-transformers tokenizers drop it (KeyBERT embeds marked representative documents).
UNIT_END = "\u2063"


class UnitTokenizer:
    """The vectorizer's tokenizer: each unit is cut once, whatever BERTopic joins it into.

    BERTopic counts c-TF-IDF words over one long text per topic, built anew after clustering,
    outlier reduction and each representation update. Units end with :data:`UNIT_END`, so
    this splits such a text back into units and looks their tokens up in a memo, which the
    runner fills from its single tokenization pass (:meth:`remember`); unseen units are cut
    and remembered. The memo is not pickled (models sent to workers stay small).

    Args:
        tokenizer: The project tokenizer, ``text -> tokens``.
        token_filter: Keep only word tokens (see :func:`topics.topic_model.backend.is_word`).
    """

    def __init__(self, tokenizer: Tokenizer, token_filter: bool = True) -> None:
        self.tokenizer = tokenizer
        self.token_filter = token_filter
        self.memo: dict[str, list[str]] = {}

    def remember(self, texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> None:
        """Store the (already filtered) tokens of each unit text."""
        for text, toks in zip(texts, tokens, strict=True):
            self.memo[text.strip()] = list(toks)

    def _unit(self, text: str) -> list[str]:
        tokens = self.memo.get(text)
        if tokens is None:
            raw = self.tokenizer(text)
            tokens = [t.strip() for t in raw if is_word(t)] if self.token_filter else list(raw)
            self.memo[text] = tokens
        return tokens

    def __call__(self, text: str) -> list[str]:
        """Tokens of ``text``, a unit or several units each ended by :data:`UNIT_END`."""
        if UNIT_END not in text:
            return list(self._unit(text.strip()))
        tokens: list[str] = []
        for piece in text.split(UNIT_END):
            piece = piece.strip()
            if piece:
                tokens.extend(self._unit(piece))
        return tokens

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the memo."""
        return {**self.__dict__, "memo": {}}

    def __repr__(self) -> str:
        return f"UnitTokenizer({self.tokenizer!r}, token_filter={self.token_filter})"


def mark_units(
    model: BERTopic, texts: list[str], token_lists: Sequence[Sequence[str]] | None = None
) -> list[str]:
    """The unit texts to hand ``model``, each ended by :data:`UNIT_END` if it needs them.

    Marked when the vectorizer's tokenizer is a :class:`UnitTokenizer`, which then remembers
    ``token_lists`` (the units' tokens, in the order of ``texts``); otherwise ``texts`` as is.
    """
    tokenizer = getattr(model.vectorizer_model, "tokenizer", None)
    if not isinstance(tokenizer, UnitTokenizer):
        return texts
    if token_lists is not None:
        tokenizer.remember(texts, token_lists)
    return [text + UNIT_END for text in texts]


def unmark_representative_docs(model: BERTopic) -> None:
    """Strip :data:`UNIT_END` from the documents BERTopic kept as representative of each topic."""
    docs = getattr(model, "representative_docs_", None) or {}
    model.representative_docs_ = {
        topic: [doc.replace(UNIT_END, "") for doc in items] for topic, items in docs.items()
    }


def is_fitted(model: BERTopic) -> bool:
    """Whether ``model`` has topics (fitted, or loaded)."""
    return model.topic_representations_ is not None


def set_assignments(model: BERTopic, labels: np.ndarray) -> None:
    """Make ``labels`` the model's topic of each document, for ``update_topics(docs)``.

    ``update_topics`` called without ``topics`` reads them from ``topics_`` (and passing them
    instead logs a "custom topics" warning and rebuilds topic embeddings from words).
    """
    model.topics_ = np.asarray(labels, dtype=int).tolist()


def row_topics(model: BERTopic) -> list[int]:
    """Topic of each row of the per-topic matrices (``topic_embeddings_``, ``c_tf_idf_``).

    BERTopic keeps one row per topic in topic-id order, ``-1`` first when present.
    """
    return sorted(int(t) for t in model.topic_sizes_)


def outlier_offset(model: BERTopic) -> int:
    """1 if the model has an outlier topic ``-1`` (the first row of its per-topic matrices), else 0."""
    return int(model._outliers)


def set_topic_embeddings(model: BERTopic, vectors: np.ndarray, labels: np.ndarray) -> None:
    """Set each topic's embedding to the mean of its units' ``vectors`` (rows per :func:`row_topics`).

    BERTopic 0.17.4's ``update_topics`` compares the new labels with themselves and so never
    refreshes ``topic_embeddings_`` after labels change; call this after it.
    """
    labels = np.asarray(labels)
    topics = sorted(set(labels.tolist()))
    model.topic_embeddings_ = np.vstack([vectors[labels == t].mean(axis=0) for t in topics])


def topic_embeddings(model: BERTopic) -> np.ndarray:
    """The ``(n_topics, dim)`` topic embeddings, rows per :func:`row_topics`."""
    return np.asarray(model.topic_embeddings_)


def ctfidf(model: BERTopic) -> csr_matrix:
    """The ``(n_topics, n_words)`` c-TF-IDF matrix, rows per :func:`row_topics`."""
    return model.c_tf_idf_


def rows_of(model: BERTopic, matrix: Any, topics: Sequence[int]) -> Any:
    """The rows of a per-topic ``matrix`` (rows per :func:`row_topics`) for ``topics``, in order."""
    order = row_topics(model)
    return matrix[[order.index(int(t)) for t in topics]]


def topic_labels(model: BERTopic) -> dict[int, str]:
    """BERTopic's default name of each topic (``"0_word_word_..."``), zero-shot names included."""
    return dict(model.topic_labels_)


@contextmanager
def savable_vectorizer(model: BERTopic) -> Iterator[None]:
    """Hand BERTopic's saver a CountVectorizer in place of an online one, for the duration.

    BERTopic 0.17.4 saves the vectorizer from ``get_params()``, which for its own
    ``OnlineCountVectorizer`` lacks ``tokenizer`` (KeyError); the counts and vocabulary are
    the same, and a loaded model only needs those.
    """
    online = model.vectorizer_model
    if not isinstance(online, OnlineCountVectorizer):
        yield
        return
    plain = CountVectorizer(
        tokenizer=online.tokenizer,
        lowercase=online.lowercase,
        token_pattern=online.token_pattern,
        ngram_range=online.ngram_range,
    )
    plain.vocabulary_ = online.vocabulary_
    model.vectorizer_model = plain
    try:
        yield
    finally:
        model.vectorizer_model = online

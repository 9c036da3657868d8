"""NPMI topic coherence over the modelling corpus, with sparse co-occurrence counts.

The estimate follows gensim's ``c_npmi`` pipeline (``gensim.models.CoherenceModel``):

* segmentation ``s_one_one``: every ordered pair of distinct top words of a topic; NPMI is
  symmetric, so this is the mean over unordered pairs;
* probabilities from boolean "virtual documents": with ``window=None`` each unit is one
  document; with ``window=k`` every run of ``k`` consecutive tokens of a unit is one
  (a unit shorter than ``k``, empty ones included, counts as one window), as in gensim's
  ``p_boolean_sliding_window``. ``P(w)`` is the share of virtual documents holding ``w`` and
  ``P(w1, w2)`` the share holding both;
* confirmation ``NPMI = log((P12 + eps) / (P1 P2)) / -log(P12 + eps)`` with ``eps = 1e-12``
  (gensim's ``log_ratio_measure(normalize=True)``): a pair that never co-occurs scores close
  to -1, a pair that always co-occurs close to 1. A pair present in every virtual document
  scores -1 (``log(1 + eps) / -log(1 + eps)``), exactly as in gensim;
* aggregation: arithmetic mean over pairs (per topic), then over topics.

Counting difference: gensim 4.4 updates a window's word set incrementally and drops a word
leaving the window's left edge even when another copy of it is still inside, so it undercounts
words repeated within ``window`` tokens. Here a word is present in a window if any of its
positions falls inside it; both agree whenever no word repeats within a window.

Top words absent from the corpus are skipped (as gensim does) and counted; a topic with fewer
than two words left scores NaN and is left out of the mean.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from topics.data.types import InputError
from topics.evaluation.diversity import top_words

#: gensim's smoothing constant (``direct_confirmation_measure.EPSILON``).
EPSILON = 1e-12


@dataclass
class CoherenceResult:
    """NPMI coherence of a set of topics.

    Attributes:
        per_topic: NPMI of each topic, in input order (NaN: fewer than two words in the corpus).
        mean: Mean of the finite per-topic scores (NaN if none).
        n_pairs: Word pairs scored per topic.
        missing: Top words of each topic that never occur in the corpus (skipped).
        n_documents: Virtual documents counted (units, or sliding windows).
    """

    per_topic: list[float]
    mean: float
    n_pairs: list[int]
    missing: list[list[str]] = field(default_factory=list)
    n_documents: int = 0

    @property
    def n_missing_words(self) -> int:
        """Total number of top words skipped because they are absent from the corpus."""
        return sum(len(m) for m in self.missing)


def unit_tokens(
    texts: Iterable[str],
    tokenizer: Callable[[str], list[str]],
    token_filter: bool = True,
) -> list[list[str]]:
    """Tokenize units the way the topic model's vectorizer does, for coherence counts.

    Args:
        texts: Unit texts (the ones the topic model was fitted on).
        tokenizer: The project tokenizer that produced the topic words; its
            ``tokenize_many`` is used when it has one (each distinct text is cut once).
        token_filter: Keep only word tokens, like ``topic_model.vectorizer.token_filter``.

    Returns:
        One token list per unit, in reading order.
    """
    from topics.topic_model.backend import is_word

    texts = list(texts)
    many = getattr(tokenizer, "tokenize_many", None)
    tokens = many(texts) if callable(many) else [list(tokenizer(t)) for t in texts]
    if not token_filter:
        return tokens
    return [[t.strip() for t in toks if is_word(t)] for toks in tokens]


def _check_tokens(token_lists: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    if isinstance(token_lists, str):
        raise InputError("coherence: token_lists must be a list of token lists, got one string")
    lists = list(token_lists)
    for i, tokens in enumerate(lists):
        if isinstance(tokens, str):
            raise InputError(
                f"coherence: token_lists[{i}] is a string; pass one list of tokens per unit "
                "(e.g. from topics.evaluation.unit_tokens)"
            )
    return lists


def _top_words(topics: Sequence[Sequence[str]], top_n: int) -> list[list[str]]:
    """Each topic's first ``top_n`` words, without repeats (a pair needs two distinct words)."""
    return [list(dict.fromkeys(words)) for words in top_words(topics, top_n, "coherence", 2)]


def presence_matrix(
    token_lists: Sequence[Sequence[str]], vocab: Sequence[str], window: int | None = None
) -> sparse.csc_matrix:
    """Binary matrix of virtual documents x ``vocab``: 1 where the word occurs.

    Args:
        token_lists: One token list per unit.
        vocab: The words to count (other tokens still take up window positions).
        window: ``None`` for one row per unit, or a sliding window size ``k >= 1``: one row
            per window of ``k`` consecutive tokens (``max(len - k + 1, 1)`` rows per unit).

    Returns:
        A CSC matrix of 0/1 ``int32`` values.
    """
    if window is not None and int(window) < 1:
        raise InputError(f"coherence: window must be None or an int >= 1, got {window}")
    lists = _check_tokens(token_lists)
    lengths = np.fromiter((len(t) for t in lists), dtype=np.int64, count=len(lists))
    flat = list(itertools.chain.from_iterable(lists))
    codes = pd.Index(list(vocab)).get_indexer(flat) if flat else np.empty(0, dtype=np.int64)
    doc = np.repeat(np.arange(len(lists)), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(lists) else lengths
    pos = np.arange(len(flat)) - np.repeat(starts, lengths)
    keep = codes >= 0
    codes, doc, pos = codes[keep], doc[keep], pos[keep]
    if window is None:
        rows, cols, n_rows = doc, codes, len(lists)
    else:
        k = int(window)
        n_windows = np.maximum(lengths - k + 1, 1)
        offsets = np.concatenate([[0], np.cumsum(n_windows)[:-1]]) if len(lists) else n_windows
        first = np.maximum(pos - k + 1, 0)
        last = np.minimum(pos, n_windows[doc] - 1)
        count = last - first + 1
        base = np.repeat(offsets[doc] + first, count)
        step = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        rows, cols, n_rows = base + step, np.repeat(codes, count), int(n_windows.sum())
    matrix = sparse.csc_matrix(
        (np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(n_rows, len(vocab))
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix


def _npmi(joint: np.ndarray, p1: np.ndarray, p2: np.ndarray, eps: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log((joint + eps) / (p1 * p2)) / -np.log(joint + eps)


def npmi_coherence(
    token_lists: Sequence[Sequence[str]],
    topics: Sequence[Sequence[str]],
    top_n: int = 10,
    window: int | None = None,
    eps: float = EPSILON,
) -> CoherenceResult:
    """NPMI coherence of each topic's top words, and their mean.

    Args:
        token_lists: One token list per unit, from the tokenizer that produced the topic
            words (see :func:`unit_tokens`).
        topics: The word list of each topic, best word first (duplicates are dropped).
        top_n: Words per topic to score (the first ``top_n``).
        window: ``None``: a unit is one boolean document; ``k``: boolean sliding windows of
            ``k`` tokens (gensim's ``c_npmi`` uses 10).
        eps: Smoothing of the joint probability.

    Returns:
        The :class:`CoherenceResult`.

    Raises:
        InputError: ``token_lists`` or ``topics`` are not lists of token lists, or
            ``top_n < 2``, or ``window < 1``.
    """
    words = _top_words(topics, top_n)
    vocab = list(dict.fromkeys(itertools.chain.from_iterable(words)))
    matrix = presence_matrix(token_lists, vocab, window)
    n_docs = matrix.shape[0]
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    joint = (matrix.T @ matrix).tocsr()
    index = {w: i for i, w in enumerate(vocab)}
    per_topic, n_pairs, missing = [], [], []
    for topic_words in words:
        ids = np.array([index[w] for w in topic_words if counts[index[w]] > 0], dtype=np.int64)
        missing.append([w for w in topic_words if counts[index[w]] == 0])
        upper = np.triu_indices(len(ids), k=1)
        n_pairs.append(len(upper[0]))
        if len(ids) < 2:
            per_topic.append(float("nan"))
            continue
        p = counts[ids] / n_docs
        p12 = joint[ids][:, ids].toarray() / n_docs
        scores = _npmi(p12[upper], p[upper[0]], p[upper[1]], eps)
        per_topic.append(float(scores.mean()))
    finite = [s for s in per_topic if np.isfinite(s)]
    mean = float(np.mean(finite)) if finite else float("nan")
    return CoherenceResult(per_topic, mean, n_pairs, missing, int(n_docs))

"""Stability of a topic model under refits with other seeds and unit orders.

Each refit builds a fresh model with its own seed and fits it on the units in a shuffled
order (the same embeddings, permuted with the texts); assignments are mapped back to the
original order before comparison. For every pair of refits:

* ARI of the unit assignments (final topics, outliers as a cluster of their own);
* topic matching after Greene, O'Callaghan & Cunningham (2014), "How many topics? Stability
  analysis for topic models": topics (``-1`` excluded) are compared by *average Jaccard*
  ``AJ(a, b) = (1/t) sum_{d=1..t} |a[:d] & b[:d]| / |a[:d] | b[:d]|`` over their top-``t``
  word rankings, and matched one-to-one with the Hungarian algorithm maximising total AJ.
  ``topic_match_jaccard`` is the mean AJ of the matched pairs (Greene et al.'s agreement score
  when both refits have the same number of topics); ``topic_agreement`` divides the matched
  total by the larger topic count instead, so topics left unmatched count as 0.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from topics.data.types import InputError
from topics.evaluation.coherence import npmi_coherence
from topics.evaluation.diversity import topic_diversity

if TYPE_CHECKING:
    from bertopic import BERTopic

    from topics.topic_model import TopicResult

log = logging.getLogger(__name__)


@dataclass
class StabilityResult:
    """What :func:`stability_report` measured.

    Attributes:
        metrics: ``stability/...`` summary metrics (see :func:`stability_report`).
        runs: One row per refit: ``run``, ``seed``, ``shuffled``, ``n_topics``,
            ``outlier_ratio_before``, ``outlier_ratio_after``, ``fit_seconds`` (and
            ``npmi_mean``, ``diversity`` when token lists were given).
        pairs: One row per pair of refits: ``run_a``, ``run_b``, ``ari``,
            ``topic_match_jaccard``, ``topic_agreement``, ``n_matched``.
        assignments: ``(n_runs, n_units)`` final topic of each unit, in the original order.
        topic_words: Per refit, the word lists of its topics (``-1`` excluded).
    """

    metrics: dict[str, float]
    runs: pd.DataFrame
    pairs: pd.DataFrame
    assignments: np.ndarray
    topic_words: list[list[list[str]]]


def average_jaccard(a: Sequence[str], b: Sequence[str], top_n: int = 10) -> float:
    """Average Jaccard of two word rankings over the prefixes of depth 1..``top_n``.

    Prefixes are cut at ``top_n`` and at the shorter list's length; two empty lists score 0.
    """
    depth = min(top_n, len(a), len(b))
    if depth == 0:
        return 0.0
    total = 0.0
    for d in range(1, depth + 1):
        sa, sb = set(a[:d]), set(b[:d])
        total += len(sa & sb) / len(sa | sb)
    return total / depth


def match_topics(
    words_a: Sequence[Sequence[str]], words_b: Sequence[Sequence[str]], top_n: int = 10
) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Match two sets of topics one-to-one, maximising total average Jaccard.

    Args:
        words_a: Word rankings of the first model's topics.
        words_b: Word rankings of the second model's topics.
        top_n: Ranking depth for :func:`average_jaccard`.

    Returns:
        The matched index pairs ``(i, j)`` (``min(len(a), len(b))`` of them) and their AJ.
    """
    if not words_a or not words_b:
        return [], np.empty(0)
    sim = np.array([[average_jaccard(a, b, top_n) for b in words_b] for a in words_a])
    rows, cols = linear_sum_assignment(sim, maximize=True)
    return list(zip(rows.tolist(), cols.tolist(), strict=True)), sim[rows, cols]


def _pair_row(
    i: int, j: int, labels: np.ndarray, words: list[list[list[str]]], top_n: int
) -> dict[str, float]:
    matched, scores = match_topics(words[i], words[j], top_n)
    largest = max(len(words[i]), len(words[j]))
    return {
        "run_a": i,
        "run_b": j,
        "ari": float(adjusted_rand_score(labels[i], labels[j])),
        "topic_match_jaccard": float(scores.mean()) if len(scores) else float("nan"),
        "topic_agreement": float(scores.sum() / largest) if largest else float("nan"),
        "n_matched": len(matched),
    }


def _fit_once(
    build_model: Callable[[int], BERTopic],
    run_seed: int,
    order: np.ndarray,
    texts: list[str],
    vectors: np.ndarray,
    units: list[str],
    docs: list[str],
) -> tuple[TopicResult, np.ndarray]:
    from topics.topic_model import fit_topics

    result = fit_topics(
        build_model(run_seed),
        [texts[k] for k in order],
        vectors[order],
        [units[k] for k in order],
        [docs[k] for k in order],
    )
    labels = np.empty(len(order), dtype=int)
    labels[order] = result.assignments["topic"].to_numpy(dtype=int)
    return result, labels


def _spread(values: np.ndarray, name: str) -> dict[str, float]:
    return {
        f"stability/{name}_min": float(values.min()),
        f"stability/{name}_max": float(values.max()),
        f"stability/{name}_mean": float(values.mean()),
        f"stability/{name}_std": float(values.std()),
    }


def _summary(runs: pd.DataFrame, pairs: pd.DataFrame) -> dict[str, float]:
    metrics = {
        "stability/n_runs": float(len(runs)),
        "stability/ari_mean": float(pairs.ari.mean()),
        "stability/ari_std": float(pairs.ari.std(ddof=0)),
        "stability/topic_match_jaccard": float(pairs.topic_match_jaccard.mean()),
        "stability/topic_match_jaccard_std": float(pairs.topic_match_jaccard.std(ddof=0)),
        "stability/topic_agreement": float(pairs.topic_agreement.mean()),
        "stability/outlier_ratio_before_mean": float(runs.outlier_ratio_before.mean()),
    }
    metrics.update(_spread(runs.n_topics.to_numpy(dtype=float), "n_topics"))
    for column in ("npmi_mean", "diversity"):
        if column in runs:
            metrics[f"stability/{column}"] = float(runs[column].mean())
    return metrics


def stability_report(
    build_model: Callable[[int], BERTopic],
    texts: Sequence[str],
    embeddings: np.ndarray,
    unit_ids: Sequence[str] | None = None,
    doc_ids: Sequence[str] | None = None,
    n_runs: int = 5,
    seed: int = 42,
    shuffle: bool = True,
    top_n: int = 10,
    token_lists: Sequence[Sequence[str]] | None = None,
) -> StabilityResult:
    """Refit a topic model ``n_runs`` times and measure how much its result moves.

    Refit ``i`` uses seed ``seed + i``; with ``shuffle``, refits ``1..n-1`` also see the units
    in a random order drawn from ``seed`` (refit 0 keeps the given order, so it reproduces the
    job's own fit when ``seed`` is the job's seed).

    Args:
        build_model: ``seed -> unfitted BERTopic`` (e.g. ``build_topic_model`` on the
            ``topic_model`` config with that seed); called once per refit.
        texts: Unit texts.
        embeddings: ``(n_units, dim)`` embeddings of ``texts``, in the same order.
        unit_ids: Unit identifiers (default ``"0"``, ``"1"``, ...).
        doc_ids: Document of each unit (default: the unit itself).
        n_runs: Number of refits (>= 2).
        seed: Seed of refit 0 and of the shuffles.
        shuffle: Permute the unit order of refits 1.. .
        top_n: Ranking depth for topic matching (and NPMI / diversity).
        token_lists: Optional unit token lists (see ``topics.evaluation.unit_tokens``): adds
            the NPMI and diversity of every refit.

    Returns:
        The :class:`StabilityResult`; its ``metrics`` hold ``stability/ari_mean`` and
        ``_std`` (pairwise ARI), ``stability/topic_match_jaccard`` (and ``_std``),
        ``stability/topic_agreement``, ``stability/n_topics_min|max|mean|std``,
        ``stability/outlier_ratio_before_mean``, ``stability/n_runs`` and, with
        ``token_lists``, ``stability/npmi_mean`` and ``stability/diversity`` (means over refits).

    Raises:
        InputError: ``n_runs < 2``, or inputs of different lengths.
    """
    if n_runs < 2:
        raise InputError(f"stability.n_runs must be >= 2 to compare refits, got {n_runs}")
    texts = list(texts)
    vectors = np.asarray(embeddings, dtype=np.float32)
    units = [str(i) for i in range(len(texts))] if unit_ids is None else [str(u) for u in unit_ids]
    docs = list(units) if doc_ids is None else [str(d) for d in doc_ids]
    if not (len(texts) == len(vectors) == len(units) == len(docs)):
        raise InputError(
            f"stability_report: {len(texts)} texts, {len(vectors)} embeddings, {len(units)} "
            f"unit ids and {len(docs)} doc ids; pass one of each per unit, in the same order"
        )
    if token_lists is not None and len(token_lists) != len(texts):
        raise InputError(f"stability_report: {len(token_lists)} token lists for {len(texts)} texts")
    rng = np.random.default_rng(seed)
    rows, labels, words = [], [], []
    for run in range(n_runs):
        shuffled = shuffle and run > 0
        order = rng.permutation(len(texts)) if shuffled else np.arange(len(texts))
        result, run_labels = _fit_once(build_model, seed + run, order, texts, vectors, units, docs)
        table = result.topics_table
        run_words = [list(w) for w in table.loc[table.topic != -1, "words"]]
        row = {
            "run": run,
            "seed": seed + run,
            "shuffled": shuffled,
            "n_topics": result.n_topics,
            "outlier_ratio_before": result.outlier_ratio_before,
            "outlier_ratio_after": result.outlier_ratio_after,
            "fit_seconds": result.fit_seconds,
        }
        if token_lists is not None:
            row["npmi_mean"] = npmi_coherence(token_lists, run_words, top_n).mean
            row["diversity"] = topic_diversity(run_words, top_n)
        log.info(
            "stability: refit %d/%d (seed %d): %d topics",
            run + 1,
            n_runs,
            seed + run,
            result.n_topics,
        )
        rows.append(row)
        labels.append(run_labels)
        words.append(run_words)
    assignments = np.vstack(labels)
    pairs = pd.DataFrame(
        [
            _pair_row(i, j, assignments, words, top_n)
            for i, j in itertools.combinations(range(n_runs), 2)
        ]
    )
    runs = pd.DataFrame(rows)
    return StabilityResult(_summary(runs, pairs), runs, pairs, assignments, words)

"""Stability of a topic model under refits with other seeds, resamples and unit orders.

Each refit fits the topic model with its own seed on its own resample of the units
(``bootstrap``: ``n`` draws with replacement, each drawn unit kept once; ``subsample``: a share
of the units without replacement; ``none``: every unit, the same embeddings), optionally in a
shuffled order; assignments are mapped back to the original units before comparison. For every
pair of refits, on the units both drew:

* ``ari``: ARI of the final topics (outliers as a cluster of their own);
* ``ari_clustered``: ARI on the units both refits' clusterers placed (not ``-1`` before outlier
  reduction), with ``coverage``, the share of the common units that this keeps;
* topic matching after Greene, O'Callaghan & Cunningham (2014), "How many topics? Stability
  analysis for topic models": topics (``-1`` excluded) are compared by *average Jaccard*
  ``AJ(a, b) = (1/t) sum_{d=1..t} |a[:d] & b[:d]| / |a[:d] | b[:d]|`` over their top-``t``
  word rankings, and matched one-to-one with the Hungarian algorithm maximising total AJ.
  ``topic_match_jaccard`` is the mean AJ of the matched pairs (Greene et al.'s agreement score
  when both refits have the same number of topics); ``topic_agreement`` divides the matched
  total by the larger topic count instead, so topics left unmatched count as 0.

Given a reference clustering (the job's own fit), :func:`stability_report` also scores each of
its topics by Hennig's clusterwise Jaccard against the refits
(:mod:`topics.evaluation.clusterwise`).
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
from topics.evaluation.clusterwise import (
    NOT_DRAWN,
    RESAMPLE_MODES,
    clusterwise_stability,
    resample_units,
    spread,
)
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
        runs: One row per refit: ``run``, ``seed``, ``shuffled``, ``n_drawn``, ``n_topics``,
            ``outlier_ratio_before``, ``outlier_ratio_after``, ``fit_seconds`` (and
            ``npmi_mean``, ``diversity`` when token lists were given).
        pairs: One row per pair of refits: ``run_a``, ``run_b``, ``n_common``, ``ari``,
            ``ari_clustered``, ``coverage``, ``topic_match_jaccard``, ``topic_agreement``,
            ``n_matched``.
        assignments: ``(n_runs, n_units)`` final topic of each unit, in the original order
            (``NOT_DRAWN`` where a refit did not draw the unit).
        clustered: Same shape: the topic before outlier reduction (``-1`` = outlier).
        topic_words: Per refit, the word lists of its topics (``-1`` excluded).
        topic_stability: ``{topic: clusterwise Jaccard}`` of the reference clustering's topics
            against the refits (empty without a reference).
    """

    metrics: dict[str, float]
    runs: pd.DataFrame
    pairs: pd.DataFrame
    assignments: np.ndarray
    clustered: np.ndarray
    topic_words: list[list[list[str]]]
    topic_stability: dict[int, float]


#: ``(seed, unit positions) -> TopicResult`` of a refit on those units, in that order.
Refit = Callable[[int, np.ndarray], "TopicResult"]


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


def _ari(a: np.ndarray, b: np.ndarray) -> float:
    return float(adjusted_rand_score(a, b)) if len(a) >= 2 else float("nan")


def _pair_row(
    i: int,
    j: int,
    final: np.ndarray,
    clustered: np.ndarray,
    words: list[list[list[str]]],
    top_n: int,
) -> dict[str, float]:
    common = (final[i] != NOT_DRAWN) & (final[j] != NOT_DRAWN)
    placed = common & (clustered[i] >= 0) & (clustered[j] >= 0)
    matched, scores = match_topics(words[i], words[j], top_n)
    largest = max(len(words[i]), len(words[j]))
    return {
        "run_a": i,
        "run_b": j,
        "n_common": int(common.sum()),
        "ari": _ari(final[i][common], final[j][common]),
        "ari_clustered": _ari(clustered[i][placed], clustered[j][placed]),
        "coverage": float(placed.sum() / common.sum()) if common.any() else float("nan"),
        "topic_match_jaccard": float(scores.mean()) if len(scores) else float("nan"),
        "topic_agreement": float(scores.sum() / largest) if largest else float("nan"),
        "n_matched": len(matched),
    }


def refit_with(
    build_model: Callable[[int], BERTopic],
    texts: Sequence[str],
    embeddings: np.ndarray,
    unit_ids: Sequence[str],
    doc_ids: Sequence[str],
) -> Refit:
    """A :data:`Refit` that fits ``build_model(seed)`` with ``fit_topics`` on the given units."""
    from topics.topic_model import fit_topics

    def refit(seed: int, positions: np.ndarray) -> TopicResult:
        return fit_topics(
            build_model(seed),
            [texts[k] for k in positions],
            embeddings[positions],
            [unit_ids[k] for k in positions],
            [doc_ids[k] for k in positions],
        )

    return refit


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
        "stability/ari_min": float(pairs.ari.min()),
        "stability/ari_clustered_mean": float(pairs.ari_clustered.mean()),
        "stability/ari_clustered_coverage": float(pairs.coverage.mean()),
        "stability/common_units_mean": float(pairs.n_common.mean()),
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


def _check(n_runs: int, resample: str, sizes: dict[str, int]) -> None:
    if n_runs < 2:
        raise InputError(f"stability.n_runs must be >= 2 to compare refits, got {n_runs}")
    if resample not in RESAMPLE_MODES:
        raise InputError(f"stability.resample={resample!r}; use one of {RESAMPLE_MODES}")
    if len(set(sizes.values())) != 1:
        detail = ", ".join(f"{v} {k}" for k, v in sizes.items())
        raise InputError(
            f"stability_report: {detail}; pass one of each per unit, in the same order"
        )


def stability_report(
    build_model: Callable[[int], BERTopic] | None,
    texts: Sequence[str],
    embeddings: np.ndarray,
    unit_ids: Sequence[str] | None = None,
    doc_ids: Sequence[str] | None = None,
    n_runs: int = 5,
    seed: int = 42,
    shuffle: bool = True,
    top_n: int = 10,
    token_lists: Sequence[Sequence[str]] | None = None,
    resample: str = "none",
    sample_fraction: float = 0.8,
    refit: Refit | None = None,
    reference: Sequence[int] | None = None,
) -> StabilityResult:
    """Refit a topic model ``n_runs`` times and measure how much its result moves.

    Refit ``i`` uses seed ``seed + i`` and draws its units per ``resample`` (from a generator
    seeded with ``seed``); with ``shuffle``, refits ``1..n-1`` also see them in a random order.
    With ``resample="none"`` refit 0 keeps every unit in the given order, so it reproduces the
    job's own fit when ``seed`` is the job's seed.

    Args:
        build_model: ``seed -> unfitted BERTopic`` (e.g. ``build_topic_model`` on the
            ``topic_model`` config with that seed); unused when ``refit`` is given.
        texts: Unit texts.
        embeddings: ``(n_units, dim)`` embeddings of ``texts``, in the same order.
        unit_ids: Unit identifiers (default ``"0"``, ``"1"``, ...).
        doc_ids: Document of each unit (default: the unit itself).
        n_runs: Number of refits (>= 2).
        seed: Seed of refit 0, of the resamples and of the shuffles.
        shuffle: Permute the unit order of refits 1.. .
        top_n: Ranking depth for topic matching (and NPMI / diversity).
        token_lists: Optional unit token lists (see ``topics.evaluation.unit_tokens``): adds
            the NPMI and diversity of every refit.
        resample: ``bootstrap``, ``subsample`` or ``none`` (see
            :func:`topics.evaluation.clusterwise.resample_units`).
        sample_fraction: Share of units a ``subsample`` refit draws.
        refit: How to fit one refit (default: :func:`refit_with` on ``build_model``); the
            topic stage passes one that fits the configured (e.g. consensus) model.
        reference: A clustering of all units (the job's topics before outlier reduction) whose
            topics are scored by clusterwise stability against the refits.

    Returns:
        The :class:`StabilityResult`; its ``metrics`` hold ``stability/ari_mean``, ``_std``
        and ``_min`` (pairwise ARI on the units both refits drew),
        ``stability/ari_clustered_mean`` with ``stability/ari_clustered_coverage`` (ARI on
        the units both clusterers placed, and their share of the common units),
        ``stability/common_units_mean``, ``stability/topic_match_jaccard`` (and ``_std``),
        ``stability/topic_agreement``, ``stability/n_topics_min|max|mean|std``,
        ``stability/outlier_ratio_before_mean``, ``stability/n_runs``, with ``reference``
        ``stability/topic_stability_mean`` and ``_min``, and with ``token_lists``
        ``stability/npmi_mean`` and ``stability/diversity`` (means over refits).

    Raises:
        InputError: ``n_runs < 2``, an unknown ``resample``, or inputs of different lengths.
    """
    texts = list(texts)
    vectors = np.asarray(embeddings, dtype=np.float32)
    n = len(texts)
    units = [str(i) for i in range(n)] if unit_ids is None else [str(u) for u in unit_ids]
    docs = list(units) if doc_ids is None else [str(d) for d in doc_ids]
    sizes = {"texts": n, "embeddings": len(vectors), "unit ids": len(units), "doc ids": len(docs)}
    _check(n_runs, resample, sizes)
    if token_lists is not None and len(token_lists) != n:
        raise InputError(f"stability_report: {len(token_lists)} token lists for {n} texts")
    fit = refit or refit_with(build_model, texts, vectors, units, docs)  # type: ignore[arg-type]
    rng = np.random.default_rng(seed)
    rows, finals, placed, words = [], [], [], []
    for run in range(n_runs):
        drawn = resample_units(n, resample, sample_fraction, rng)
        shuffled = shuffle and (run > 0 or resample != "none")
        order = rng.permutation(drawn) if shuffled else drawn
        result = fit(seed + run, order)
        frame = result.assignments
        table = result.topics_table
        run_words = [list(w) for w in table.loc[table.topic != -1, "words"]]
        row = {
            "run": run,
            "seed": seed + run,
            "shuffled": shuffled,
            "n_drawn": len(drawn),
            "n_topics": result.n_topics,
            "outlier_ratio_before": result.outlier_ratio_before,
            "outlier_ratio_after": result.outlier_ratio_after,
            "fit_seconds": result.fit_seconds,
        }
        if token_lists is not None:
            row["npmi_mean"] = npmi_coherence(token_lists, run_words, top_n).mean
            row["diversity"] = topic_diversity(run_words, top_n)
        log.info(
            "stability: refit %d/%d (seed %d, %d units): %d topics",
            run + 1,
            n_runs,
            seed + run,
            len(drawn),
            result.n_topics,
        )
        rows.append(row)
        finals.append(spread(order, frame["topic"].to_numpy(dtype=int), n))
        placed.append(spread(order, frame["topic_before_outlier_reduction"].to_numpy(dtype=int), n))
        words.append(run_words)
    final, clustered = np.vstack(finals), np.vstack(placed)
    pairs = pd.DataFrame(
        [
            _pair_row(i, j, final, clustered, words, top_n)
            for i, j in itertools.combinations(range(n_runs), 2)
        ]
    )
    runs = pd.DataFrame(rows)
    metrics = _summary(runs, pairs)
    per_topic: dict[int, float] = {}
    if reference is not None:
        per_topic = clusterwise_stability(np.asarray(reference, dtype=int), clustered)
        values = np.array([v for v in per_topic.values() if np.isfinite(v)])
        if len(values):
            metrics["stability/topic_stability_mean"] = float(values.mean())
            metrics["stability/topic_stability_min"] = float(values.min())
    return StabilityResult(metrics, runs, pairs, final, clustered, words, per_topic)

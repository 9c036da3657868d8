"""Quality metrics of one topic-model fit: coherence, diversity, outliers, label agreement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from topics.evaluation.clustering_metrics import label_agreement
from topics.evaluation.coherence import npmi_coherence
from topics.evaluation.diversity import topic_diversity

if TYPE_CHECKING:
    from topics.topic_model import TopicResult


@dataclass
class TopicEvaluation:
    """Metrics of one fit.

    Attributes:
        metrics: ``topics/...`` metrics (see :func:`evaluate_topics`).
        per_topic: One row per topic (``-1`` excluded): ``topic``, ``size``, ``npmi``,
            ``n_pairs``, ``missing_words`` (top words absent from the corpus, joined by
            spaces) and ``words`` (the top words scored, joined by spaces).
    """

    metrics: dict[str, float]
    per_topic: pd.DataFrame


def evaluate_topics(
    result: TopicResult,
    token_lists: Sequence[Sequence[str]],
    labels: Sequence[object] | None = None,
    top_n: int = 10,
    window: int | None = None,
    reference: Sequence[Sequence[str]] | None = None,
    reference_window: int | None = 10,
) -> TopicEvaluation:
    """Score a fitted topic model's topics and, given gold labels, its unit assignments.

    Args:
        result: The :class:`~topics.topic_model.TopicResult` of ``fit_topics``.
        token_lists: Token list of each unit fitted, from the tokenizer that produced the
            topic words (see ``topics.evaluation.unit_tokens``).
        labels: Optional gold label of each unit, in ``result.assignments`` order (missing
            labels are left out).
        top_n: Top words per topic for NPMI and diversity.
        window: NPMI co-occurrence unit: ``None`` = whole unit, ``k`` = sliding window.
        reference: Token lists of an external reference corpus (see
            :mod:`topics.evaluation.reference`): adds the reference NPMI.
        reference_window: Sliding window of the reference NPMI (gensim's ``c_npmi``: 10;
            ``None`` = whole documents).

    Returns:
        ``topics/npmi_mean``, ``topics/npmi_missing_words``, ``topics/diversity``,
        ``topics/outlier_ratio_before``, ``topics/outlier_ratio_after``, ``topics/n_topics``
        and, with ``labels``, the scores of :func:`label_agreement` on the final topics, where
        ``*_no_outliers`` keeps only the units the clustering itself placed (not ``-1``
        before outlier reduction) and ``topics/coverage_no_outliers`` is their share; with
        ``reference``, ``topics/npmi_ref_mean`` and ``topics/npmi_ref_missing_words``; plus
        the per-topic NPMI table (column ``npmi_ref`` with a reference).
    """
    table = result.topics_table
    topics = table.loc[table.topic != -1]
    words = [list(w)[:top_n] for w in topics.words]
    coherence = npmi_coherence(token_lists, words, top_n=top_n, window=window)
    per_topic = pd.DataFrame(
        {
            "topic": topics.topic.to_numpy(),
            "size": topics["size"].to_numpy(),
            "npmi": coherence.per_topic,
            "n_pairs": coherence.n_pairs,
            "missing_words": [" ".join(m) for m in coherence.missing],
            "words": [" ".join(w) for w in words],
        }
    )
    if reference is not None:
        ref = npmi_coherence(reference, words, top_n=top_n, window=reference_window)
        per_topic["npmi_ref"] = ref.per_topic
    metrics = {
        "topics/npmi_mean": coherence.mean,
        "topics/npmi_missing_words": float(coherence.n_missing_words),
        "topics/diversity": topic_diversity(words, top_n),
        "topics/outlier_ratio_before": float(result.outlier_ratio_before),
        "topics/outlier_ratio_after": float(result.outlier_ratio_after),
        "topics/n_topics": float(result.n_topics),
    }
    if reference is not None:
        metrics["topics/npmi_ref_mean"] = ref.mean
        metrics["topics/npmi_ref_missing_words"] = float(ref.n_missing_words)
    if labels is not None:
        assignments = result.assignments
        metrics.update(
            label_agreement(
                assignments["topic"].to_numpy(),
                labels,
                outliers=(assignments["topic_before_outlier_reduction"] == -1).to_numpy(),
            )
        )
    return TopicEvaluation(metrics, per_topic)


def topic_metrics(
    result: TopicResult,
    token_lists: Sequence[Sequence[str]],
    labels: Sequence[object] | None = None,
    top_n: int = 10,
) -> dict[str, float]:
    """The metrics of :func:`evaluate_topics` alone (no per-topic table)."""
    return evaluate_topics(result, token_lists, labels, top_n).metrics

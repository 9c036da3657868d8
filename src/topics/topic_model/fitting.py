"""Fit the configured topic model: one BERTopic fit, or consensus topics when configured.

:func:`fit_configured` is what a job's topic stage and each refit of the stability mode call,
so both measure the same model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from bertopic import BERTopic

from topics.topic_model.consensus import (
    ConsensusResult,
    consensus_options,
    fit_consensus,
    labelled_model,
)
from topics.topic_model.fit import TopicResult, fit_topics
from topics.topic_model.modes import ChunkMapper

#: Column of ``TopicResult.topics_table`` with each topic's clusterwise stability.
STABILITY_COLUMN = "stability"


@dataclass
class ConfiguredFit:
    """A fitted model with its result (and the consensus behind it, if any)."""

    model: BERTopic
    result: TopicResult
    consensus: ConsensusResult | None = None


def add_stability(result: TopicResult, stability: Mapping[int, float], column: str) -> None:
    """Add ``column`` to ``result.topics_table``: the stability of each topic (NaN for -1).

    Args:
        result: The fit's result (its table is changed in place).
        stability: ``{topic: stability}``, keyed by the table's topic ids.
        column: Name of the new column.
    """
    table = result.topics_table
    table[column] = [float(stability.get(int(t), np.nan)) for t in table.topic]


def map_labels(given: np.ndarray, fitted: np.ndarray) -> dict[int, int]:
    """``{given label: fitted topic}``: BERTopic's renumbering of precomputed labels."""
    pairs = pd.DataFrame({"given": given, "fitted": fitted})
    pairs = pairs[pairs.given >= 0].drop_duplicates()
    return {int(g): int(f) for g, f in zip(pairs.given, pairs.fitted, strict=True)}


def fit_configured(
    conf: Mapping[str, Any],
    build: Callable[[int | None], BERTopic],
    texts: Sequence[str],
    embeddings: np.ndarray,
    unit_ids: Sequence[str] | None = None,
    doc_ids: Sequence[str] | None = None,
    seed: int | None = None,
    compute: ChunkMapper | None = None,
    token_lists: Sequence[Sequence[str]] | None = None,
) -> ConfiguredFit:
    """Fit the topic model ``conf`` describes on the units.

    Without ``conf.consensus.enabled`` this is :func:`fit_topics` on ``build(seed)``. With it,
    :func:`fit_consensus` finds the topics over ``n_models`` fits and BERTopic computes their
    words on that assignment; the topics table then has a ``stability`` column.

    Args:
        conf: The ``topic_model`` config node.
        build: ``seed -> unfitted BERTopic`` from ``conf`` (``None`` keeps ``conf.seed``).
        texts: Unit texts.
        embeddings: ``(n_units, dim)`` embeddings.
        unit_ids: Unit identifiers.
        doc_ids: Document of each unit.
        seed: Seed of the fit (``None``: ``conf.seed``).
        compute: Compute backend for ``fit_mode`` sample / online.
        token_lists: The units' tokens (shared with c-TF-IDF).
    """
    options = consensus_options(conf)
    seed = conf.get("seed") if seed is None else seed
    if options is None:
        model = build(seed)
        result = fit_topics(
            model, texts, embeddings, unit_ids, doc_ids, compute=compute, token_lists=token_lists
        )
        return ConfiguredFit(model, result)
    from topics.topic_model.views import unit_views

    views = unit_views(options.views, embeddings, texts, token_lists, seed)
    consensus = fit_consensus(build, embeddings, options, seed, views)
    model = labelled_model(build(seed))
    result = fit_topics(
        model,
        texts,
        embeddings,
        unit_ids,
        doc_ids,
        token_lists=token_lists,
        labels=consensus.labels,
        confidence=consensus.strength,
    )
    fitted = result.assignments.topic_before_outlier_reduction.to_numpy()
    mapping = map_labels(consensus.labels, fitted)
    stability = {mapping[g]: s for g, s in consensus.stability.items() if g in mapping}
    add_stability(result, stability, STABILITY_COLUMN)
    result.fit_seconds += consensus.seconds
    return ConfiguredFit(model, result, consensus)

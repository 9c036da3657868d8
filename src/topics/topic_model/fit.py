"""Fit a built BERTopic model on unit texts and embeddings and tabulate the result."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from bertopic import BERTopic
from hdbscan import HDBSCAN
from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA, IncrementalPCA
from umap import UMAP

from topics.data.types import InputError, text_list
from topics.topic_model.bertopic_compat import (
    mark_units,
    set_assignments,
    set_topic_embeddings,
    topic_labels,
    unmark_representative_docs,
)
from topics.topic_model.builder import FitOptions, fit_options
from topics.topic_model.modes import ChunkMapper, cluster_units, fitted_units

log = logging.getLogger(__name__)

OUTLIER_LABEL = "outliers"
N_REPRESENTATIVES = 3
EXCERPT_CHARS = 80


class CorpusTooSmallError(InputError):
    """The corpus has fewer units than ``topic_model.min_units_for_umap``."""


@dataclass
class TopicResult:
    """What one topic-model fit produced.

    Attributes:
        topics_table: One row per topic (``-1`` = outliers, if any remain): ``topic``,
            ``size``, ``share``, ``label`` (zero-shot name, or top 3 words joined by "·"),
            ``words`` (list of up to ``top_n_words``) and ``representatives`` (up to 3 dicts
            ``{unit_id, doc_id, excerpt}``, the units closest to the topic centroid).
        assignments: One row per unit: ``unit_id``, ``doc_id``, ``topic``, ``probability``
            (the clusterer's confidence in ``topic_before_outlier_reduction``: HDBSCAN
            membership strength or zero-shot cosine; NaN when the clusterer gives none),
            ``topic_before_outlier_reduction`` and ``similarity`` (cosine between the unit and
            its topic centroid; NaN for outliers).
        doc_topic_mix: ``doc_id`` x ``topic`` share of each document's units.
        outlier_ratio_before: Share of units labelled ``-1`` by clustering.
        outlier_ratio_after: Share still ``-1`` after outlier reduction.
        n_topics: Number of topics, ``-1`` excluded.
        fit_seconds: Wall time of clustering, outlier reduction and representation.
    """

    topics_table: pd.DataFrame
    assignments: pd.DataFrame
    doc_topic_mix: pd.DataFrame
    outlier_ratio_before: float
    outlier_ratio_after: float
    n_topics: int
    fit_seconds: float


def _check_inputs(
    texts: Sequence[str],
    embeddings: np.ndarray,
    unit_ids: Sequence[str] | None,
    doc_ids: Sequence[str] | None,
) -> tuple[list[str], np.ndarray, list[str], list[str]]:
    texts = text_list(texts, "fit_topics: texts (one per unit)")
    vectors = np.asarray(embeddings, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(texts):
        raise InputError(
            f"fit_topics: embeddings have shape {vectors.shape}, expected ({len(texts)}, dim): "
            "one row per text, in the same order"
        )
    if not np.isfinite(vectors).all():
        raise InputError("fit_topics: embeddings contain NaN or inf; re-run the embedding stage")
    units = [str(i) for i in range(len(texts))] if unit_ids is None else [str(u) for u in unit_ids]
    docs = units if doc_ids is None else [str(d) for d in doc_ids]
    for name, ids in (("unit_ids", units), ("doc_ids", docs)):
        if len(ids) != len(texts):
            raise InputError(f"fit_topics: {name} has {len(ids)} items for {len(texts)} texts")
    if len(set(units)) != len(units):
        raise InputError("fit_topics: unit_ids are not unique")
    return texts, vectors, units, docs


def _clip(estimator: object, name: str, value: int, limit: int, n_units: int, floor: int) -> None:
    """Lower ``estimator.name`` to ``limit`` (not below ``floor``) and say so."""
    if value > limit:
        new = max(floor, limit)
        log.warning(
            "topic_model: %s.%s=%d is too large for a corpus of %d units; using %d",
            type(estimator).__name__,
            name,
            value,
            n_units,
            new,
        )
        estimator.set_params(**{name: new})  # type: ignore[attr-defined]


def adapt_to_corpus(model: BERTopic, n_units: int, dim: int, min_units: int) -> None:
    """Check the corpus size and clip size-bound parameters of ``model``'s sub-models.

    Below ``min_units`` units this raises; at or above it, parameters that cannot exceed the
    corpus (UMAP ``n_neighbors <= n-1`` and ``n_components <= n-2``, PCA ``n_components``,
    HDBSCAN ``min_cluster_size`` in ``[2, n/2]`` and ``min_samples <= n-1``, k-means and
    agglomerative ``n_clusters <= n``) are lowered in place with a logged warning.

    Raises:
        CorpusTooSmallError: ``n_units < min_units``.
    """
    if n_units < max(min_units, 4):
        raise CorpusTooSmallError(
            f"the corpus has {n_units} units, fewer than topic_model.min_units_for_umap="
            f"{min_units} (and the hard minimum of 4): add documents or segment them into "
            "smaller units, or lower topic_model.min_units_for_umap to fit anyway with "
            "parameters clipped to the corpus size"
        )
    reducer, clusterer = model.umap_model, model.hdbscan_model
    reducer = getattr(reducer, "reducer", reducer)  # inside a CachedReducer
    if isinstance(reducer, UMAP):
        _clip(reducer, "n_neighbors", reducer.n_neighbors, n_units - 1, n_units, 2)
        _clip(reducer, "n_components", reducer.n_components, n_units - 2, n_units, 1)
    elif isinstance(reducer, PCA | IncrementalPCA) and isinstance(reducer.n_components, int):
        _clip(reducer, "n_components", reducer.n_components, min(n_units, dim), n_units, 1)
    if isinstance(clusterer, HDBSCAN):
        _clip(clusterer, "min_cluster_size", clusterer.min_cluster_size, n_units // 2, n_units, 2)
        if clusterer.min_samples is not None:
            _clip(clusterer, "min_samples", clusterer.min_samples, n_units - 1, n_units, 1)
    elif (
        isinstance(clusterer, KMeans | MiniBatchKMeans | AgglomerativeClustering)
        and clusterer.n_clusters
    ):
        _clip(clusterer, "n_clusters", clusterer.n_clusters, n_units, n_units, 1)


def _reduce_outliers(
    model: BERTopic, texts: list[str], vectors: np.ndarray, before: np.ndarray, opts: FitOptions
) -> np.ndarray:
    """Return the labels after reassigning ``-1`` units per ``opts`` (``before`` if none)."""
    if not opts.reduce_outliers or not (before == -1).any():
        return before
    if (before != -1).sum() == 0:
        log.warning("topic_model: no topic was found, every unit is an outlier; nothing to reduce")
        return before
    return np.asarray(
        model.reduce_outliers(
            texts,
            before.tolist(),
            strategy=opts.outlier_strategy,
            threshold=opts.outlier_threshold,
            embeddings=vectors if opts.outlier_strategy == "embeddings" else None,
        ),
        dtype=int,
    )


def _update_representation(
    model: BERTopic, texts: list[str], vectors: np.ndarray, labels: np.ndarray, relabelled: bool
) -> None:
    """Recompute c-TF-IDF words (and run the representation models) for the final labels."""
    # update_topics resets the sub-models it is not given, so hand every one back; with
    # topics=None it reads the labels set here (no "custom topics" warning).
    set_assignments(model, labels)
    model.update_topics(
        texts,
        top_n_words=model.top_n_words,
        vectorizer_model=model.vectorizer_model,
        ctfidf_model=model.ctfidf_model,
        representation_model=model.representation_model,
    )
    if relabelled:
        # update_topics does not refresh the topic embeddings: a centroid per topic
        set_topic_embeddings(model, vectors, labels)


def _topic_words(model: BERTopic, topic: int) -> list[str]:
    words = model.get_topic(topic) or []
    return [w for w, _ in words if w and w.strip()][: model.top_n_words]


def _topics_table(
    model: BERTopic,
    opts: FitOptions,
    texts: list[str],
    vectors: np.ndarray,
    labels: np.ndarray,
    units: list[str],
    docs: list[str],
    similarity: np.ndarray,
) -> pd.DataFrame:
    zs_names = dict(zip(model.zeroshot_topic_list or [], opts.zeroshot_names, strict=False))
    model_labels = topic_labels(model)
    rows = []
    for topic in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == topic)
        words = _topic_words(model, topic)
        if topic == -1:
            label = OUTLIER_LABEL
        else:
            label = zs_names.get(model_labels.get(topic, ""), "·".join(words[:3]) or str(topic))
        if topic == -1:
            centroid = vectors[members].mean(axis=0)
            closeness = vectors[members] @ centroid / (np.linalg.norm(centroid) or 1.0)
        else:
            closeness = similarity[members]
        best = members[np.argsort(-closeness, kind="stable")[:N_REPRESENTATIVES]]
        reps = [
            {"unit_id": units[i], "doc_id": docs[i], "excerpt": texts[i][:EXCERPT_CHARS]}
            for i in best
        ]
        rows.append(
            {
                "topic": topic,
                "size": len(members),
                "share": len(members) / len(labels),
                "label": label,
                "words": words,
                "representatives": reps,
            }
        )
    return pd.DataFrame(rows)


def _similarity_to_centroid(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    unit = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
    sims = np.full(len(labels), np.nan)
    for topic in set(labels.tolist()) - {-1}:
        members = labels == topic
        centroid = unit[members].mean(axis=0)
        sims[members] = unit[members] @ (centroid / (np.linalg.norm(centroid) or 1.0))
    return sims


def _check_token_lists(texts: list[str], token_lists: Sequence[Sequence[str]] | None) -> None:
    if token_lists is not None and len(token_lists) != len(texts):
        raise InputError(
            f"fit_topics: token_lists has {len(token_lists)} items for {len(texts)} texts"
        )


def fit_topics(
    model: BERTopic,
    texts: Sequence[str],
    embeddings: np.ndarray,
    unit_ids: Sequence[str] | None = None,
    doc_ids: Sequence[str] | None = None,
    options: FitOptions | None = None,
    compute: ChunkMapper | None = None,
    token_lists: Sequence[Sequence[str]] | None = None,
    labels: Sequence[int] | None = None,
    confidence: Sequence[float] | None = None,
) -> TopicResult:
    """Fit ``model`` on the units, reduce outliers and tabulate topics and assignments.

    Args:
        model: An unfitted model from :func:`build_topic_model` (fit it once).
        texts: Unit texts, in order.
        embeddings: ``(n_units, dim)`` float32 embeddings of ``texts`` (not modified).
        unit_ids: Unit identifiers (default: ``"0"``, ``"1"``, ...).
        doc_ids: Document of each unit (default: each unit is its own document).
        options: Fit-time settings; default: those attached by :func:`build_topic_model`.
        compute: A :mod:`topics.compute` backend that assigns units to topics in chunks
            (``fit_mode`` sample and online); default: in this process.
        token_lists: The units' tokens from the run's single tokenization pass (filtered like
            the vectorizer's); c-TF-IDF then reuses them instead of cutting the text again.
        labels: Precomputed topic of every unit (``-1`` outlier), e.g. consensus topics, for
            a model from :func:`topics.topic_model.consensus.labelled_model`; BERTopic
            renumbers them by size.
        confidence: With ``labels``: each unit's confidence in its label (the
            ``probability`` column).

    Returns:
        The :class:`TopicResult`.

    Raises:
        InputError: Mismatched lengths, duplicate unit ids or non-finite embeddings.
        CorpusTooSmallError: Fewer units than ``topic_model.min_units_for_umap``.
    """
    texts, vectors, units, docs = _check_inputs(texts, embeddings, unit_ids, doc_ids)
    opts = options or fit_options(model)
    adapt_to_corpus(model, len(texts), vectors.shape[1], opts.min_units)
    n_fit = fitted_units(opts, len(texts))
    if n_fit < len(texts):  # clip to what the clusterer sees at once (a sample, a batch)
        adapt_to_corpus(model, n_fit, vectors.shape[1], min(opts.min_units, n_fit))
    _check_token_lists(texts, token_lists)
    marked = mark_units(model, texts, token_lists)
    start = time.perf_counter()
    # Representation models (KeyBERT, MMR) run once, on the final labels, not also on the
    # labels before outlier reduction.
    representation, model.representation_model = model.representation_model, None
    try:
        given = None if labels is None else np.asarray(labels, dtype=int)
        if given is not None and len(given) != len(texts):
            raise InputError(f"fit_topics: {len(given)} labels for {len(texts)} texts")
        before, probs = cluster_units(model, marked, vectors, opts, compute, given)
        if confidence is not None:
            probs = np.asarray(confidence, dtype=float)
    finally:
        model.representation_model = representation
    after = _reduce_outliers(model, marked, vectors, before, opts)
    # sample and online fits saw only part of the units at a time: recount words and
    # centroids over every unit
    relabelled = after is not before or opts.fit_mode != "full"
    if relabelled or representation is not None:
        _update_representation(model, marked, vectors, after, relabelled)
    unmark_representative_docs(model)
    seconds = time.perf_counter() - start
    similarity = _similarity_to_centroid(vectors, after)
    assignments = pd.DataFrame(
        {
            "unit_id": units,
            "doc_id": docs,
            "topic": after,
            "probability": probs,
            "topic_before_outlier_reduction": before,
            "similarity": similarity,
        }
    )
    mix = pd.crosstab(assignments["doc_id"], assignments["topic"], normalize="index")
    mix.columns.name = "topic"
    table = _topics_table(model, opts, texts, vectors, after, units, docs, similarity)
    n_topics = int(len(set(after.tolist()) - {-1}))
    log.info("topic_model: %d topics on %d units in %.1f s", n_topics, len(texts), seconds)
    return TopicResult(
        topics_table=table,
        assignments=assignments,
        doc_topic_mix=mix,
        outlier_ratio_before=float((before == -1).mean()),
        outlier_ratio_after=float((after == -1).mean()),
        n_topics=n_topics,
        fit_seconds=seconds,
    )

"""How the topic model meets the units: all at once, on a sample, or batch by batch.

``fit_mode: full`` clusters every unit (BERTopic's ``fit_transform``). ``sample`` fits on a
seeded random sample and assigns the other units with the fitted reducer and clusterer
(``transform``); ``online`` updates the model batch by batch (``partial_fit``) and then assigns
every unit. Assignment runs in chunks through a :mod:`topics.compute` backend, so with
``compute=ray`` it is spread over a Ray cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np
from bertopic import BERTopic

from topics.topic_model.builder import FitOptions

log = logging.getLogger(__name__)

#: Units per assignment chunk when no compute backend is given.
DEFAULT_CHUNK = 4096


class ChunkMapper(Protocol):
    """What assignment needs from a :mod:`topics.compute` backend."""

    chunk_size: int

    def map_chunks(
        self, setup: Callable[[], Any], fn: Callable[[Any, Any], Any], items: Sequence[Any]
    ) -> Iterator[Any]:
        """Yield ``fn(setup(), item)`` for each item, in order."""
        ...


def confidence(probs: Any, n: int) -> np.ndarray:
    """The clusterer's confidence per unit (max over topics when a matrix), NaN when none."""
    values = None if probs is None else np.asarray(probs, dtype=float)
    if values is not None and values.ndim == 2 and len(values) == n:
        return values.max(axis=1)
    if values is not None and values.ndim == 1 and len(values) == n:
        return values
    return np.full(n, np.nan)


class FittedModel:
    """Zero-argument callable that hands a fitted model to each worker (picklable)."""

    def __init__(self, model: BERTopic) -> None:
        self.model = model

    def __call__(self) -> BERTopic:
        """Return the model."""
        return self.model


def assign_chunk(model: BERTopic, chunk: tuple[list[str], np.ndarray]) -> np.ndarray:
    """Topics and confidences (as a ``(2, n)`` array) of one chunk of new units."""
    texts, vectors = chunk
    # float64: an incremental PCA fitted batch by batch hands k-means float64 centres
    topics, probs = model.transform(texts, np.asarray(vectors, dtype=np.float64))
    return np.vstack([np.asarray(topics, dtype=float), confidence(probs, len(texts))])


def _local_map(setup: Callable[[], Any], fn: Callable[[Any, Any], Any], items: Sequence[Any]):
    state = setup()
    return (fn(state, item) for item in items)


def assign(
    model: BERTopic,
    texts: Sequence[str],
    vectors: np.ndarray,
    compute: ChunkMapper | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Assign units to the topics of a fitted model, in chunks (on ``compute`` when given).

    Returns:
        ``(topics, confidence)``, one entry per unit (topic ``-1`` = outlier).
    """
    size = int(getattr(compute, "chunk_size", 0) or DEFAULT_CHUNK)
    chunks = [
        (list(texts[start : start + size]), vectors[start : start + size])
        for start in range(0, len(texts), size)
    ]
    ensure_fitted = getattr(model.umap_model, "ensure_fitted", None)
    if ensure_fitted is not None:  # a reduction read from the cache: fit the reducer once, here
        ensure_fitted()
    mapper = compute.map_chunks if compute is not None else _local_map
    parts = list(mapper(FittedModel(model), assign_chunk, chunks))
    if not parts:
        return np.empty(0, dtype=int), np.empty(0)
    joined = np.hstack(parts)
    return joined[0].astype(int), joined[1]


def _sample(n: int, size: int, seed: int | None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=size, replace=False))


def _fit_sample(
    model: BERTopic,
    texts: list[str],
    vectors: np.ndarray,
    opts: FitOptions,
    compute: ChunkMapper | None,
) -> tuple[np.ndarray, np.ndarray]:
    n = len(texts)
    inside = _sample(n, opts.sample_size, opts.seed)
    outside = np.setdiff1d(np.arange(n), inside, assume_unique=True)
    topics, probs = model.fit_transform([texts[i] for i in inside], vectors[inside].copy())
    labels = np.empty(n, dtype=int)
    conf = np.full(n, np.nan)
    labels[inside], conf[inside] = np.asarray(topics, dtype=int), confidence(probs, len(inside))
    log.info(
        "topic_model: fitted on %d sampled units; assigning %d more", len(inside), n - len(inside)
    )
    labels[outside], conf[outside] = assign(
        model, [texts[i] for i in outside], vectors[outside], compute
    )
    return labels, conf


def online_batches(n: int, batch_size: int, seed: int | None, floor: int) -> list[np.ndarray]:
    """Seeded shuffled batches of unit positions; a tail shorter than ``floor`` joins the last."""
    order = np.random.default_rng(seed).permutation(n)
    batches = [order[start : start + batch_size] for start in range(0, n, batch_size)]
    if len(batches) > 1 and len(batches[-1]) < floor:
        tail = batches.pop()
        batches[-1] = np.concatenate([batches[-1], tail])
    return batches


def _fit_online(
    model: BERTopic,
    texts: list[str],
    vectors: np.ndarray,
    opts: FitOptions,
    compute: ChunkMapper | None,
) -> tuple[np.ndarray, np.ndarray]:
    # every batch must hold at least n_components units (IncrementalPCA) and the first at least
    # n_clusters (MiniBatchKMeans); adapt_to_corpus has clipped both to the first batch
    floor = max(
        int(getattr(model.umap_model, "n_components", 1) or 1),
        int(getattr(model.hdbscan_model, "n_clusters", 1) or 1),
    )
    batches = online_batches(len(texts), opts.online_batch_size, opts.seed, floor)
    for number, batch in enumerate(batches, 1):
        model.partial_fit([texts[i] for i in batch], vectors[batch].astype(np.float64))
        log.info(
            "topic_model: partial_fit batch %d/%d (%d units)", number, len(batches), len(batch)
        )
    return assign(model, texts, vectors, compute)


def cluster_units(
    model: BERTopic,
    texts: list[str],
    vectors: np.ndarray,
    opts: FitOptions,
    compute: ChunkMapper | None = None,
    labels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit ``model`` per ``opts.fit_mode`` and return every unit's topic and confidence.

    The topics are those before outlier reduction; the confidence is the clusterer's
    (HDBSCAN membership strength; NaN where the clusterer gives none). With ``labels`` (a
    model from :func:`topics.topic_model.consensus.labelled_model`), BERTopic takes them as the
    clusters (renumbered by size).
    """
    if labels is not None:
        topics, _ = model.fit_transform(texts, vectors.copy(), y=np.asarray(labels, dtype=int))
        return np.asarray(topics, dtype=int), np.full(len(texts), np.nan)
    if opts.fit_mode == "online":
        return _fit_online(model, texts, vectors, opts, compute)
    if opts.fit_mode == "sample" and opts.sample_size < len(texts):
        return _fit_sample(model, texts, vectors, opts, compute)
    # guided modelling rewrites the embeddings it gets in place: give it a copy
    topics, probs = model.fit_transform(texts, vectors.copy())
    return np.asarray(topics, dtype=int), confidence(probs, len(texts))


def fitted_units(opts: FitOptions, n_units: int) -> int:
    """How many units the clusterer is fitted on at once (for clipping its parameters)."""
    if opts.fit_mode == "sample":
        return min(n_units, opts.sample_size)
    if opts.fit_mode == "online":
        return min(n_units, opts.online_batch_size)
    return n_units

"""Consensus topics: many fits over seeds and resamples, combined by evidence accumulation.

``topic_model.consensus`` fits the configured reducer and clusterer ``n_models`` times, each with
its own seed on its own resample of the units (bootstrap, subsample or all units), and combines
the partitions (Fred & Jain 2005, "Combining multiple clusterings using evidence accumulation"):

1. **Co-association.** For a pair of units, the share of the models that drew both in which
   both fell in the same cluster (outliers are in no cluster). It is computed only for each
   unit's ``n_neighbors`` nearest neighbours in the embedding space (cosine), so memory is
   ``O(n * n_neighbors)``; a pair that no model drew together carries no edge. With
   ``out_of_bag: neighbours`` each model also labels the units it did not draw, by a vote of
   their drawn neighbours (:mod:`topics.topic_model.coassociation`), so every pair counts in
   every model.
2. **Final clustering** of the co-association graph: ``louvain`` maximises weighted modularity
   (seeded); ``components`` links neighbours whose co-association is at least ``threshold``
   (0.5: together in a majority of the models) and takes connected components (it can chain
   topics together through a few strong links).
3. **Recurrence.** Each group's stability is Hennig's clusterwise Jaccard against the models
   (:mod:`topics.evaluation.clusterwise`). Groups below ``min_recurrence`` are merged into the
   group they share most co-association with when that makes a more stable group
   (``unstable: merge``, see :func:`settle_unstable`), made outliers (``outliers``) or only
   marked (``keep``). Groups smaller than the topic model's ``min_cluster_size`` are outliers.

The word representation is then computed by BERTopic on the final assignment
(:func:`labelled_model`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from bertopic import BERTopic
from hdbscan import HDBSCAN
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from umap import UMAP

from topics.evaluation.clusterwise import (
    NOT_DRAWN,
    RESAMPLE_MODES,
    clusterwise_stability,
    resample_units,
    spread,
)
from topics.topic_model.coassociation import OUT_OF_BAG, coassociation_graph
from topics.topic_model.components import (
    TopicModelConfigError,
    scaled_min_cluster_size,
    section,
)
from topics.topic_model.views import VIEWS

log = logging.getLogger(__name__)

METHODS = ("components", "louvain")
UNSTABLE = ("merge", "outliers", "keep")


@dataclass(frozen=True)
class ConsensusOptions:
    """``topic_model.consensus`` (see ``configs/topic_model/bertopic.yaml``)."""

    n_models: int = 5
    resample: str = "bootstrap"
    sample_fraction: float = 0.8
    n_neighbors: int = 30
    method: str = "louvain"
    threshold: float = 0.5
    resolution: float = 1.0
    min_topic_size: int = 5
    min_recurrence: float = 0.5
    unstable: str = "merge"
    views: tuple[str, ...] = ("embedding",)
    out_of_bag: str = "none"
    n_epochs: int | None = None


#: How to leave consensus for a mode it does not support (it is some corpora's default).
_OFF = "; or topic_model.consensus.enabled=false (on by default where data.topic_consensus is)"


def consensus_options(conf: Mapping[str, Any]) -> ConsensusOptions | None:
    """The checked ``topic_model.consensus`` options, or ``None`` when it is off."""
    sec = section(conf, "consensus")
    if not sec.get("enabled"):
        return None
    final = section(sec, "final")
    opts = ConsensusOptions(
        n_models=int(sec.get("n_models", 5)),
        resample=str(sec.get("resample", "bootstrap")).lower(),
        sample_fraction=float(sec.get("sample_fraction", 0.8)),
        n_neighbors=int(final.get("n_neighbors", 30)),
        method=str(final.get("method", "louvain")).lower(),
        threshold=float(final.get("threshold", 0.5)),
        resolution=float(final.get("resolution", 1.0)),
        min_topic_size=int(conf.get("min_cluster_size") or 5),
        min_recurrence=float(sec.get("min_recurrence", 0.5)),
        unstable=str(sec.get("unstable", "merge")).lower(),
        views=tuple(str(v).lower() for v in (sec.get("views") or ["embedding"])),
        out_of_bag=str(sec.get("out_of_bag", "none")).lower(),
        n_epochs=None if sec.get("n_epochs") is None else int(sec.get("n_epochs")),
    )
    reducer = str(section(conf, "reduction").get("name", "umap")).lower()
    checks = (
        (opts.n_models >= 2, "n_models must be >= 2"),
        (opts.resample in RESAMPLE_MODES, f"resample must be one of {RESAMPLE_MODES}"),
        (0.0 < opts.sample_fraction <= 1.0, "sample_fraction must be in (0, 1]"),
        (opts.n_neighbors >= 1, "final.n_neighbors must be >= 1"),
        (opts.method in METHODS, f"final.method must be one of {METHODS}"),
        (0.0 < opts.threshold <= 1.0, "final.threshold must be in (0, 1]"),
        (opts.unstable in UNSTABLE, f"unstable must be one of {UNSTABLE}"),
        (set(opts.views) <= set(VIEWS), f"views must be taken from {VIEWS}"),
        (opts.out_of_bag in OUT_OF_BAG, f"out_of_bag must be one of {OUT_OF_BAG}"),
        (opts.n_epochs is None or opts.n_epochs >= 1, "n_epochs must be null or >= 1"),
        (
            opts.n_epochs is None or reducer == "umap",
            f"n_epochs needs topic_model/reduction=umap (got {reducer}); set it to null",
        ),
        (str(conf.get("fit_mode") or "full") == "full", f"needs topic_model.fit_mode=full{_OFF}"),
        (
            not (conf.get("guided") or conf.get("zeroshot")),
            f"does not support guided/zeroshot{_OFF}",
        ),
    )
    for ok, message in checks:
        if not ok:
            raise TopicModelConfigError(f"topic_model.consensus: {message}")
    return opts


@dataclass
class ConsensusResult:
    """What :func:`fit_consensus` found.

    Attributes:
        labels: Final topic of every unit (``-1`` outlier), topics numbered by size.
        strength: Mean co-association of each unit with its neighbours in its topic (0 for
            outliers and for units without such a neighbour).
        stability: ``{topic: clusterwise Jaccard stability}`` of the final topics.
        runs: ``(n_models, n_units)`` labels of the models (``NOT_DRAWN`` where not drawn).
        seeds: Seed of each model.
        n_unstable: Topics below ``min_recurrence`` before merging / dropping them.
        seconds: Wall time of the whole consensus.
    """

    labels: np.ndarray
    strength: np.ndarray
    stability: dict[int, float]
    runs: np.ndarray
    seeds: list[int]
    n_unstable: int
    seconds: float


def model_seeds(seed: int | None, n_models: int) -> list[int]:
    """Independent seeds of the models (no overlap with the seeds of a neighbouring job)."""
    states = np.random.SeedSequence([0 if seed is None else seed, 7919]).generate_state(n_models)
    return [int(s % (2**31 - 1)) for s in states]


def set_epochs(model: BERTopic, n_epochs: int | None) -> BERTopic:
    """Give ``model``'s UMAP (inside a reduction cache or not) ``n_epochs``; ``None``: as is."""
    if n_epochs is None:
        return model
    reducer = getattr(model.umap_model, "reducer", model.umap_model)
    if not isinstance(reducer, UMAP):
        raise TopicModelConfigError(
            f"topic_model.consensus.n_epochs needs a UMAP reducer, got {type(reducer).__name__}"
        )
    reducer.set_params(n_epochs=n_epochs)
    return model


def _fit_labels(model: BERTopic, vectors: np.ndarray, fraction: float) -> np.ndarray:
    """Cluster ``vectors`` with ``model``'s reducer and clusterer; return the labels."""
    from topics.topic_model.builder import fit_options
    from topics.topic_model.fit import adapt_to_corpus

    clusterer = model.hdbscan_model
    if isinstance(clusterer, HDBSCAN) and fraction < 1.0:
        # a resample holds fewer units: keep the smallest topic the same share of the corpus
        clusterer.set_params(
            min_cluster_size=scaled_min_cluster_size(clusterer.min_cluster_size, fraction)
        )
    adapt_to_corpus(model, len(vectors), vectors.shape[1], fit_options(model).min_units)
    reduced = model.umap_model.fit_transform(vectors)
    clusterer.fit(reduced)
    return np.asarray(clusterer.labels_, dtype=int)


def _by_size(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Groups of at least ``min_size`` units renumbered 0.. by size (ties by first unit); rest -1."""
    out = np.full(len(labels), -1, dtype=int)
    groups, first, counts = np.unique(labels[labels >= 0], return_index=True, return_counts=True)
    order = sorted(
        (g for g, c in zip(groups, counts, strict=True) if c >= min_size),
        key=lambda g: (-counts[groups == g][0], first[groups == g][0]),
    )
    for new, group in enumerate(order):
        out[labels == group] = new
    return out


def cluster_graph(graph: sparse.csr_matrix, opts: ConsensusOptions, seed: int | None) -> np.ndarray:
    """Groups of the co-association ``graph``, numbered by size (single units included)."""
    if opts.method == "louvain":
        import networkx as nx

        nxg = nx.from_scipy_sparse_array(graph)
        communities = nx.community.louvain_communities(
            nxg, weight="weight", resolution=opts.resolution, seed=seed
        )
        labels = np.empty(graph.shape[0], dtype=int)
        for number, members in enumerate(communities):
            labels[list(members)] = number
    else:
        strong = graph.multiply(graph >= opts.threshold).tocsr()
        _, labels = connected_components(strong, directed=False)
    return _by_size(labels, 1)


def _affinity(graph: sparse.csr_matrix, labels: np.ndarray, topic: int) -> np.ndarray:
    """Total co-association from ``topic``'s units to each topic (index = topic id)."""
    n_topics = int(labels.max()) + 1
    sub = graph[np.flatnonzero(labels == topic)].tocoo()
    target = labels[sub.col]
    keep = (target >= 0) & (target != topic)
    return np.bincount(target[keep], weights=sub.data[keep], minlength=n_topics)


def _member_stability(members: np.ndarray, runs: np.ndarray) -> float:
    """Clusterwise stability of one group of units (boolean mask) against the models."""
    scores = []
    for labels in runs:
        drawn = members & (labels != NOT_DRAWN)
        n_drawn = int(drawn.sum())
        if n_drawn == 0:
            continue
        inside = labels[drawn]
        inside = inside[inside >= 0]
        if len(inside) == 0:
            scores.append(0.0)
            continue
        clusters, overlap = np.unique(inside, return_counts=True)
        sizes = np.array([(labels == c).sum() for c in clusters])
        scores.append(float((overlap / (n_drawn + sizes - overlap)).max()))
    return float(np.mean(scores)) if scores else float("nan")


def settle_unstable(
    graph: sparse.csr_matrix, labels: np.ndarray, runs: np.ndarray, opts: ConsensusOptions
) -> tuple[np.ndarray, int]:
    """Merge, drop or keep the groups whose stability is below ``opts.min_recurrence``.

    ``labels`` are the graph's groups, however small. ``merge`` works like agglomeration: the
    least stable group joins the group it shares most co-association with, if that makes a
    group more stable than either part was (pieces of one recurring topic), or always when the
    group is smaller than ``min_topic_size``; a small group that shares no co-association with
    any other (outliers in every model) becomes outliers. A topic that merging does not help stays
    as it is, marked by its stability. Groups below ``min_topic_size`` then become outliers,
    and topics are numbered by size.

    Returns:
        The labels and the number of topics (groups of at least ``min_topic_size``) that were
        unstable before settling.
    """
    stability = clusterwise_stability(labels, runs)
    sizes = np.bincount(labels[labels >= 0])
    n_unstable = sum(
        stability[t] < opts.min_recurrence for t in stability if sizes[t] >= opts.min_topic_size
    )
    labels = labels.copy()
    if opts.unstable != "merge":
        if opts.unstable == "outliers":
            for topic, value in stability.items():
                if value < opts.min_recurrence:
                    labels[labels == topic] = -1
        return _by_size(labels, opts.min_topic_size), n_unstable
    pending = {t: s for t, s in stability.items() if not s >= opts.min_recurrence}
    while pending:
        topic = min(pending, key=lambda t: (np.nan_to_num(pending[t], nan=-1.0), t))
        value = np.nan_to_num(pending.pop(topic), nan=0.0)
        if value >= opts.min_recurrence:
            continue  # made stable by what merged into it
        affinity = _affinity(graph, labels, topic)
        members = labels == topic
        if affinity.max(initial=0.0) <= 0.0:
            if members.sum() < opts.min_topic_size:
                labels[members] = -1  # an outlier in every model that drew it
            continue
        target = int(np.argmax(affinity))
        merged = members | (labels == target)
        merged_value = _member_stability(merged, runs)
        before = np.nan_to_num(stability.get(target, 0.0), nan=0.0)
        if members.sum() < opts.min_topic_size or merged_value > max(value, before):
            labels[members] = target
            stability[target] = merged_value
            if merged_value < opts.min_recurrence:
                pending[target] = merged_value
            else:
                pending.pop(target, None)
    return _by_size(labels, opts.min_topic_size), n_unstable


def unit_strength(graph: sparse.csr_matrix, labels: np.ndarray) -> np.ndarray:
    """Mean co-association of each unit with its graph neighbours in the same topic."""
    coo = graph.tocoo()
    same = (labels[coo.row] == labels[coo.col]) & (labels[coo.row] >= 0)
    n = len(labels)
    total = np.bincount(coo.row[same], weights=coo.data[same], minlength=n)
    count = np.bincount(coo.row[same], minlength=n)
    return np.divide(total, count, out=np.zeros(n), where=count > 0)


def fit_consensus(
    build: Callable[[int], BERTopic],
    embeddings: np.ndarray,
    opts: ConsensusOptions,
    seed: int | None,
    views: list[np.ndarray] | None = None,
) -> ConsensusResult:
    """Fit ``opts.n_models`` models on resamples and combine them into consensus topics.

    Args:
        build: ``seed -> unfitted BERTopic`` of the configured topic model; only its reducer
            (``umap_model``, the reduction cache included) and clusterer are used.
        embeddings: ``(n_units, dim)`` unit embeddings.
        opts: The consensus options.
        seed: Seed of the consensus (models, resamples, final clustering).
        views: Vectors of ``opts.views`` (see :func:`topics.topic_model.views.unit_views`);
            model ``k`` fits view ``k mod len(views)``. Default: the embeddings alone. The
            co-association graph always links neighbours in ``embeddings``.

    Returns:
        The :class:`ConsensusResult`.
    """
    start = time.perf_counter()
    vectors = np.asarray(embeddings, dtype=np.float32)
    n = len(vectors)
    seeds = model_seeds(seed, opts.n_models)
    runs = np.full((opts.n_models, n), NOT_DRAWN, dtype=int)
    views = views or [vectors]
    for k, model_seed in enumerate(seeds):
        drawn = resample_units(
            n, opts.resample, opts.sample_fraction, np.random.default_rng(model_seed)
        )
        view = views[k % len(views)]
        model = set_epochs(build(model_seed), opts.n_epochs)
        labels = _fit_labels(model, view[drawn], len(drawn) / n)
        runs[k] = spread(drawn, labels, n)
        log.info(
            "consensus: model %d/%d (seed %d) on %d units: %d clusters, %.0f%% outliers",
            k + 1,
            opts.n_models,
            model_seed,
            len(drawn),
            len(set(labels.tolist()) - {-1}),
            100 * float((labels == -1).mean()),
        )
    graph = coassociation_graph(runs, vectors, opts.n_neighbors, opts.out_of_bag)
    labels = cluster_graph(graph, opts, seed)
    labels, n_unstable = settle_unstable(graph, labels, runs, opts)
    stability = clusterwise_stability(labels, runs)
    seconds = time.perf_counter() - start
    log.info(
        "consensus: %d topics (%d unstable settled by %s), %.0f%% outliers, %.1f s",
        len(stability),
        n_unstable,
        opts.unstable,
        100 * float((labels == -1).mean()),
        seconds,
    )
    return ConsensusResult(
        labels, unit_strength(graph, labels), stability, runs, seeds, n_unstable, seconds
    )


def labelled_model(model: BERTopic) -> BERTopic:
    """``model`` set up to take precomputed topic labels: ``fit_transform(docs, emb, y=labels)``.

    BERTopic's documented "manual topic modeling": an identity reduction
    (``BaseDimensionalityReduction``) and a ``BaseCluster`` that returns ``y`` as the clusters;
    vectorizer, c-TF-IDF and representation models stay as configured. This is the one place
    that relies on that behaviour (``tests/topic_model/test_consensus.py`` checks it).
    """
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction

    identity = BaseDimensionalityReduction()
    # the figures read the model's reduction cache folder from its reducer
    identity.cache_dir = getattr(model.umap_model, "cache_dir", None)
    model.umap_model = identity
    model.hdbscan_model = BaseCluster()
    return model

"""BERTopic's sub-models (reduction, clustering, vectorizer) built from the ``topic_model`` config.

Batch fitting (``fit_mode: full`` or ``sample``) takes any of them; online fitting
(``fit_mode: online``, BERTopic's ``partial_fit``) needs a reducer and a clusterer that learn
incrementally (``reduction: ipca``, ``clustering: minibatch_kmeans``) and an online vectorizer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bertopic.vectorizers import OnlineCountVectorizer
from hdbscan import HDBSCAN
from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA, IncrementalPCA
from sklearn.feature_extraction.text import CountVectorizer
from umap import UMAP

from topics.topic_model.backend import Tokenizer
from topics.topic_model.bertopic_compat import UnitTokenizer

FIT_MODES = ("full", "sample", "online")
REDUCERS = ("umap", "pca", "ipca")
CLUSTERERS = ("hdbscan", "kmeans", "agglomerative", "minibatch_kmeans")
#: Reducers and clusterers that BERTopic's ``partial_fit`` can update batch by batch.
ONLINE_REDUCERS = ("ipca",)
ONLINE_CLUSTERERS = ("minibatch_kmeans",)


class TopicModelConfigError(ValueError):
    """A ``topic_model`` config value is missing or invalid; the message names the key."""


def section(conf: Mapping[str, Any], key: str) -> dict[str, Any]:
    """Return ``conf[key]`` as a dict (empty when unset)."""
    value = conf.get(key) or {}
    if not isinstance(value, Mapping):
        raise TopicModelConfigError(f"topic_model.{key} must be a mapping, got {value!r}")
    return dict(value)


def choice(sec: Mapping[str, Any], key: str, default: str, allowed: Sequence[str]) -> str:
    """Return ``sec.name`` (lower-cased) after checking it is one of ``allowed``."""
    name = str(sec.get("name", default)).lower()
    if name not in allowed:
        raise TopicModelConfigError(
            f"topic_model.{key}.name={name!r} is not one of {', '.join(allowed)}; "
            f"pick one, e.g. topic_model/{key}={allowed[0]}"
        )
    return name


def fit_mode(conf: Mapping[str, Any]) -> str:
    """Return ``topic_model.fit_mode``, checked against the reducer and clusterer it needs."""
    mode = str(conf.get("fit_mode") or "full").lower()
    if mode not in FIT_MODES:
        raise TopicModelConfigError(
            f"topic_model.fit_mode={mode!r}; use one of {', '.join(FIT_MODES)}"
        )
    reducer = choice(section(conf, "reduction"), "reduction", "umap", REDUCERS)
    clusterer = choice(section(conf, "clustering"), "clustering", "hdbscan", CLUSTERERS)
    if mode == "online" and (reducer not in ONLINE_REDUCERS or clusterer not in ONLINE_CLUSTERERS):
        raise TopicModelConfigError(
            f"topic_model.fit_mode=online updates the model batch by batch and needs a reducer and "
            f"a clusterer with partial_fit; got reduction={reducer}, clustering={clusterer}. Add "
            "topic_model/reduction=ipca topic_model/clustering=minibatch_kmeans"
        )
    if mode == "sample" and clusterer == "agglomerative":
        raise TopicModelConfigError(
            "topic_model.fit_mode=sample assigns the units outside the sample with the fitted "
            "clusterer, and agglomerative clustering cannot assign new points; use hdbscan, "
            "kmeans or minibatch_kmeans, or fit_mode=full"
        )
    if mode != "full" and (conf.get("guided") or conf.get("zeroshot")):
        raise TopicModelConfigError(
            f"topic_model.fit_mode={mode} does not support guided or zero-shot modelling; "
            "set topic_model.guided=false topic_model.zeroshot=false, or fit_mode=full"
        )
    return mode


def build_reducer(conf: Mapping[str, Any], seed: int | None) -> UMAP | PCA | IncrementalPCA:
    """The dimension reduction of ``topic_model.reduction``."""
    sec = section(conf, "reduction")
    name = choice(sec, "reduction", "umap", REDUCERS)
    if name == "pca":
        return PCA(n_components=int(sec.get("n_components", 5)), random_state=seed)
    if name == "ipca":
        return IncrementalPCA(n_components=int(sec.get("n_components", 10)))
    return UMAP(
        n_neighbors=int(sec.get("n_neighbors", 15)),
        n_components=int(sec.get("n_components", 5)),
        min_dist=float(sec.get("min_dist", 0.0)),
        metric=str(sec.get("metric", "cosine")),
        low_memory=bool(sec.get("low_memory", False)),
        # umap-learn computes all pairwise distances below 4,096 units, through a Python loop
        # over a numba metric (~20 s at 4,000 units); True uses NN-descent at every size
        force_approximation_algorithm=bool(sec.get("force_approximation_algorithm", False)),
        random_state=seed,
        n_jobs=1 if seed is not None else -1,  # a seeded UMAP runs single-threaded anyway
    )


def _agglomerative(sec: Mapping[str, Any]) -> AgglomerativeClustering:
    n_clusters, threshold = sec.get("n_clusters"), sec.get("distance_threshold")
    if (n_clusters is None) == (threshold is None):
        raise TopicModelConfigError(
            "topic_model.clustering: set exactly one of n_clusters and distance_threshold "
            f"for agglomerative clustering (got n_clusters={n_clusters}, "
            f"distance_threshold={threshold})"
        )
    return AgglomerativeClustering(
        n_clusters=None if n_clusters is None else int(n_clusters),
        distance_threshold=None if threshold is None else float(threshold),
        linkage=str(sec.get("linkage", "ward")),
    )


def scaled_min_cluster_size(size: int, fraction: float) -> int:
    """``min_cluster_size`` for a resample holding ``fraction`` of the units.

    Keeps the smallest topic the same share of the corpus, so that a fit on a resample cuts the
    units at the grain of a fit on all of them (at least 2, HDBSCAN's minimum).
    """
    return max(2, int(round(int(size) * float(fraction))))


def _hdbscan(sec: Mapping[str, Any], conf: Mapping[str, Any]) -> HDBSCAN:
    min_size = sec.get("min_cluster_size", conf.get("min_cluster_size", 5))
    if min_size is None or int(min_size) < 2:
        raise TopicModelConfigError(
            f"topic_model.min_cluster_size must be an integer >= 2, got {min_size!r}"
        )
    min_samples = sec.get("min_samples")
    return HDBSCAN(
        min_cluster_size=int(min_size),
        min_samples=None if min_samples is None else int(min_samples),
        metric=str(sec.get("metric", "euclidean")),
        cluster_selection_method=str(sec.get("cluster_selection_method", "eom")),
        cluster_selection_epsilon=float(sec.get("cluster_selection_epsilon", 0.0)),
        prediction_data=True,
    )


def build_clusterer(
    conf: Mapping[str, Any], seed: int | None
) -> HDBSCAN | KMeans | MiniBatchKMeans | AgglomerativeClustering:
    """The clustering of ``topic_model.clustering``."""
    sec = section(conf, "clustering")
    name = choice(sec, "clustering", "hdbscan", CLUSTERERS)
    if name == "kmeans":
        return KMeans(
            n_clusters=int(sec.get("n_clusters", 8)),
            n_init=sec.get("n_init", 10),
            random_state=seed,
        )
    if name == "minibatch_kmeans":
        return MiniBatchKMeans(
            n_clusters=int(sec.get("n_clusters", 50)),
            batch_size=int(sec.get("batch_size", 1024)),
            n_init=sec.get("n_init", 3),
            random_state=seed,
        )
    if name == "agglomerative":
        return _agglomerative(sec)
    return _hdbscan(sec, conf)


def build_vectorizer(
    conf: Mapping[str, Any], tokenizer: Tokenizer, online: bool = False
) -> CountVectorizer:
    """The c-TF-IDF word counter over the project tokenizer (online: a decaying vocabulary)."""
    sec = section(conf, "vectorizer")
    token_filter = bool(sec.get("token_filter", True))
    low, high = sec.get("ngram_range", (1, 1))
    common: dict[str, Any] = {
        "tokenizer": UnitTokenizer(tokenizer, token_filter=token_filter),
        "lowercase": False,
        "token_pattern": None,
        "ngram_range": (int(low), int(high)),
    }
    if online:
        return OnlineCountVectorizer(
            decay=sec.get("decay"), delete_min_df=sec.get("delete_min_df"), **common
        )
    return CountVectorizer(
        min_df=sec.get("min_df", 1),
        max_df=sec.get("max_df", 1.0),
        max_features=sec.get("max_features"),
        **common,
    )

"""Schemas of the ``topic_model`` group and its ``reduction`` / ``clustering`` subgroups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING


@dataclass
class UmapConfig:
    """``topic_model/reduction=umap``."""

    name: str = MISSING
    n_neighbors: int = MISSING
    n_components: int = MISSING
    min_dist: float = MISSING
    metric: str = MISSING
    low_memory: bool = MISSING
    force_approximation_algorithm: bool = MISSING


@dataclass
class PcaConfig:
    """``topic_model/reduction=pca`` or ``ipca``."""

    name: str = MISSING
    n_components: int = MISSING


@dataclass
class HdbscanConfig:
    """``topic_model/clustering=hdbscan``."""

    name: str = MISSING
    min_cluster_size: int = MISSING
    min_samples: int | None = MISSING
    metric: str = MISSING
    cluster_selection_method: str = MISSING
    cluster_selection_epsilon: float = MISSING


@dataclass
class KmeansConfig:
    """``topic_model/clustering=kmeans``."""

    name: str = MISSING
    n_clusters: int = MISSING
    n_init: int = MISSING


@dataclass
class MinibatchKmeansConfig(KmeansConfig):
    """``topic_model/clustering=minibatch_kmeans``."""

    batch_size: int = MISSING


@dataclass
class AgglomerativeConfig:
    """``topic_model/clustering=agglomerative``: one of n_clusters and distance_threshold."""

    name: str = MISSING
    n_clusters: int | None = MISSING
    distance_threshold: float | None = MISSING
    linkage: str = MISSING


@dataclass
class VectorizerConfig:
    """``topic_model.vectorizer``; ``min_df``/``max_df`` are counts (int) or shares (float)."""

    ngram_range: list[int] = MISSING
    min_df: Any = MISSING
    max_df: Any = MISSING
    max_features: int | None = MISSING
    token_filter: bool = MISSING
    decay: float | None = MISSING
    delete_min_df: float | None = MISSING


@dataclass
class CtfidfConfig:
    """``topic_model.ctfidf``."""

    bm25_weighting: bool = MISSING
    reduce_frequent_words: bool = MISSING


@dataclass
class KeybertConfig:
    """``topic_model.keybert``."""

    nr_repr_docs: int = MISSING
    nr_candidate_words: int = MISSING


@dataclass
class MmrConfig:
    """``topic_model.mmr``."""

    diversity: float = MISSING


@dataclass
class ConsensusFinalConfig:
    """``topic_model.consensus.final``: how the co-association graph becomes topics."""

    n_neighbors: int = MISSING
    method: str = MISSING
    threshold: float = MISSING
    resolution: float = MISSING


@dataclass
class ConsensusConfig:
    """``topic_model.consensus``."""

    enabled: bool = MISSING
    n_models: int = MISSING
    resample: str = MISSING
    sample_fraction: float = MISSING
    min_recurrence: float = MISSING
    unstable: str = MISSING
    views: list[str] = MISSING
    out_of_bag: str = MISSING
    n_epochs: int | None = MISSING
    final: ConsensusFinalConfig = field(default_factory=ConsensusFinalConfig)


@dataclass
class OutliersConfig:
    """``topic_model.outliers``."""

    reduce: bool = MISSING
    strategy: str = MISSING
    threshold: float = MISSING


@dataclass
class TopicModelConfig:
    """``topic_model``: BERTopic and its parts.

    ``reduction`` and ``clustering`` are typed by their own subgroup's schema; ``nr_topics``
    (null, ``auto`` or an int) and ``representation`` (a name or a list) take several types.
    """

    reduction: Any = MISSING
    clustering: Any = MISSING
    seed: int | None = MISSING
    min_cluster_size: int = MISSING
    min_units_for_umap: int = MISSING
    reduction_cache: bool = MISSING
    cache_dir: str | None = MISSING
    top_n_words: int = MISSING
    fit_mode: str = MISSING
    sample_size: int = MISSING
    online_batch_size: int = MISSING
    nr_topics: Any = MISSING
    vectorizer: VectorizerConfig = field(default_factory=VectorizerConfig)
    ctfidf: CtfidfConfig = field(default_factory=CtfidfConfig)
    representation: Any = MISSING
    keybert: KeybertConfig = field(default_factory=KeybertConfig)
    mmr: MmrConfig = field(default_factory=MmrConfig)
    guided: bool = MISSING
    zeroshot: bool = MISSING
    zeroshot_min_similarity: float = MISSING
    consensus: ConsensusConfig = field(default_factory=ConsensusConfig)
    outliers: OutliersConfig = field(default_factory=OutliersConfig)


TOPIC_MODEL_SCHEMAS: dict[str, dict[str, Any]] = {
    "topic_model": {"base_bertopic": TopicModelConfig},
    "topic_model/reduction": {"base_umap": UmapConfig, "base_pca": PcaConfig},
    "topic_model/clustering": {
        "base_hdbscan": HdbscanConfig,
        "base_kmeans": KmeansConfig,
        "base_minibatch_kmeans": MinibatchKmeansConfig,
        "base_agglomerative": AgglomerativeConfig,
    },
}

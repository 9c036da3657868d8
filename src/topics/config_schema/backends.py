"""Schemas of the ``embedding`` and ``compute`` groups, one per backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omegaconf import MISSING


@dataclass
class EmbeddingConfig:
    """Keys of every embedding backend: its name and the embedding cache."""

    name: str = MISSING
    backend: str = MISSING
    cache: bool = MISSING
    cache_dir: str = MISSING


@dataclass
class SentenceTransformersConfig(EmbeddingConfig):
    """``backend: sentence_transformers``."""

    model: str = MISSING
    device: str = MISSING
    batch_size: int = MISSING
    normalize: bool = MISSING
    max_seq_length: int = MISSING
    show_progress: bool | None = MISSING
    deterministic: bool = MISSING


@dataclass
class OnnxConfig(EmbeddingConfig):
    """``backend: onnx``."""

    model: str = MISSING
    quantize: str = MISSING
    onnx_dir: str = MISSING
    batch_size: int = MISSING
    normalize: bool = MISSING
    max_seq_length: int = MISSING
    max_batch_tokens: int = MISSING
    intra_op_threads: int | None = MISSING


@dataclass
class TfidfSvdConfig(EmbeddingConfig):
    """``backend: tfidf_svd``; ``min_df``/``max_df`` are counts (int) or shares (float)."""

    n_components: int = MISSING
    min_df: Any = MISSING
    max_df: Any = MISSING
    sublinear_tf: bool = MISSING
    seed: int | None = MISSING


@dataclass
class LocalComputeConfig:
    """``compute: local``: parallel parts run in this process."""

    name: str = MISSING
    backend: str = MISSING
    chunk_size: int = MISSING


@dataclass
class RayComputeConfig(LocalComputeConfig):
    """``compute: ray``: parallel parts run on Ray actors."""

    address: str | None = MISSING
    num_cpus: int | None = MISSING
    num_workers: int = MISSING
    num_cpus_per_worker: int = MISSING
    runtime_env: dict[str, Any] | None = MISSING
    temp_dir: str | None = MISSING


EMBEDDING_SCHEMAS: dict[str, Any] = {
    "base_sentence_transformers": SentenceTransformersConfig,
    "base_onnx": OnnxConfig,
    "base_tfidf_svd": TfidfSvdConfig,
}
COMPUTE_SCHEMAS: dict[str, Any] = {"base_local": LocalComputeConfig, "base_ray": RayComputeConfig}

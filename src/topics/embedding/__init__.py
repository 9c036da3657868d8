"""Embedding stage: turn unit texts into vectors, with a disk cache keyed by model identity."""

from topics.embedding.base import (
    Embedder,
    FittableEmbedder,
    ModelNotAvailableError,
)
from topics.embedding.cache import CachedEmbedder, EmbeddingCache
from topics.embedding.factory import build_embedder
from topics.embedding.onnx_backend import OnnxEmbedder
from topics.embedding.resolve import resolve_model
from topics.embedding.sentence import SentenceTransformerEmbedder
from topics.embedding.tfidf import TfidfSvdEmbedder

__all__ = [
    "CachedEmbedder",
    "Embedder",
    "EmbeddingCache",
    "FittableEmbedder",
    "ModelNotAvailableError",
    "OnnxEmbedder",
    "SentenceTransformerEmbedder",
    "TfidfSvdEmbedder",
    "build_embedder",
    "resolve_model",
]

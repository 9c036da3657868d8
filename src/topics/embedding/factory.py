"""Build an embedder from the ``embedding`` Hydra config node."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from topics.backend_config import backend_kwargs, plain
from topics.compute import Compute
from topics.config_schema import schema_keys
from topics.config_schema.backends import (
    EmbeddingConfig,
    OnnxConfig,
    SentenceTransformersConfig,
    TfidfSvdConfig,
)
from topics.data.types import InputError
from topics.embedding.base import Embedder
from topics.embedding.cache import CachedEmbedder, EmbeddingCache
from topics.embedding.onnx_backend import OnnxEmbedder
from topics.embedding.sentence import SentenceTransformerEmbedder
from topics.embedding.tfidf import TfidfSvdEmbedder

#: Config keys read by the factory itself (not passed to a backend).
COMMON_KEYS = set(schema_keys(EmbeddingConfig))
#: Backend name -> config keys it accepts: those of its schema (topics.config_schema).
BACKEND_KEYS: dict[str, set[str]] = {
    "sentence_transformers": set(schema_keys(SentenceTransformersConfig)) - COMMON_KEYS,
    "onnx": set(schema_keys(OnnxConfig)) - COMMON_KEYS,
    "tfidf_svd": set(schema_keys(TfidfSvdConfig)) - COMMON_KEYS,
}
#: Keys no longer in the configs of these backends but stored with earlier runs (their config,
#: logged theme models): ``seed`` never changed a vector of either. Dropped, so those runs load.
RETIRED_KEYS: dict[str, set[str]] = {"sentence_transformers": {"seed"}, "onnx": {"seed"}}


class EmbedderSetup:
    """Picklable zero-argument callable that builds an embedder (without cache) on a worker.

    Args:
        params: The plain ``embedding`` config (interpolations resolved).

    """

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = {**params, "cache": False}

    def __call__(self) -> Embedder:
        """Build the embedder."""
        return build_embedder(self.params)

    def __repr__(self) -> str:
        return f"EmbedderSetup({self.params!r})"


def build_embedder(
    cfg: Mapping[str, Any],
    tokenizer: Callable[[str], list[str]] | None = None,
    compute: Compute | None = None,
) -> Embedder:
    """Build the embedder described by an ``embedding`` config node.

    Args:
        cfg: The node, e.g. ``configs/embedding/m3e_small.yaml``: ``backend``
            (``sentence_transformers``, ``onnx`` or ``tfidf_svd``), the backend's settings, and
            ``cache`` / ``cache_dir`` (wrap it in a ``CachedEmbedder`` stored under ``cache_dir``).
        tokenizer: Token callable; required by ``tfidf_svd``, ignored otherwise.
        compute: A :mod:`topics.compute` backend to embed on, in chunks of its ``chunk_size``
            (each worker builds the embedder once). ``tfidf_svd`` is fitted and run in this
            process whatever ``compute`` says.

    Returns:
        The embedder, wrapped in a ``CachedEmbedder`` when ``cache`` is true or a ``compute``
        is given (without a disk cache when ``cache`` is false).

    Raises:
        InputError: Unknown backend or key, or a missing tokenizer / cache_dir.

    """
    params = plain(cfg)
    for key in RETIRED_KEYS.get(params.get("backend"), ()):
        params.pop(key, None)
    backend, kwargs = backend_kwargs("embedding", params, BACKEND_KEYS, COMMON_KEYS)
    embedder: Embedder
    if backend == "tfidf_svd":
        if tokenizer is None:
            raise InputError(
                "embedding backend 'tfidf_svd' needs a tokenizer: "
                "build_embedder(cfg, tokenizer=<callable text -> tokens>)"
            )
        embedder = TfidfSvdEmbedder(tokenizer=tokenizer, **kwargs)
    elif backend == "onnx":
        embedder = OnnxEmbedder(**kwargs)
    else:
        embedder = SentenceTransformerEmbedder(**kwargs)
    cache = None
    if params.get("cache", False):
        cache_dir = params.get("cache_dir")
        if not cache_dir:
            raise InputError("embedding.cache is true but embedding.cache_dir is not set")
        cache = EmbeddingCache(Path(cache_dir))
    local_only = backend == "tfidf_svd"
    if cache is None and (compute is None or local_only):
        return embedder
    setup = None if local_only else EmbedderSetup(params)
    return CachedEmbedder(embedder, cache, compute=compute, setup=setup)

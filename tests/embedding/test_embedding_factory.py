"""build_embedder and the configs/embedding/*.yaml files."""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import OmegaConf

from topics.config_schema import load_option
from topics.data.types import InputError
from topics.embedding import (
    CachedEmbedder,
    SentenceTransformerEmbedder,
    TfidfSvdEmbedder,
    build_embedder,
)


def embedding_node(name: str, tmp_path):
    """Load ``configs/embedding/<name>.yaml`` under a root giving ``paths`` and ``seed``."""
    root = OmegaConf.create({"paths": {"cache_dir": str(tmp_path / "cache")}, "seed": 11})
    root.embedding = load_option("embedding", name)
    return root.embedding


@pytest.mark.parametrize(
    ("name", "model", "max_len"),
    [("m3e_small", "m3e-small", 512), ("minilm", "all-MiniLM-L6-v2", 256)],
)
def test_sentence_transformer_configs(name, model, max_len, tmp_path):
    node = embedding_node(name, tmp_path)
    assert node.name == name
    built = build_embedder(node)
    assert isinstance(built, CachedEmbedder)
    assert built.cache.root == tmp_path / "cache" / "embeddings"
    inner = built.embedder
    assert isinstance(inner, SentenceTransformerEmbedder)
    assert (inner.model, inner.max_seq_length, inner.normalize) == (model, max_len, True)
    assert "seed" not in node  # inference takes no seed


def test_tfidf_config_embeds_through_the_cache(tmp_path, tokenizer, seed_units):
    node = embedding_node("tfidf_svd", tmp_path)
    assert node.name == "tfidf_svd"
    built = build_embedder(node, tokenizer=tokenizer)
    assert isinstance(built.embedder, TfidfSvdEmbedder) and built.embedder.seed == 11
    first = built.embed(seed_units)
    again = build_embedder(node, tokenizer=tokenizer)
    again.embedder.fit(seed_units)
    assert np.array_equal(again.embed(seed_units[:20]), first[:20])
    assert again.cache.stats["hit_ratio"] == 1.0


def test_plain_mapping_without_cache():
    built = build_embedder({"backend": "sentence_transformers", "model": "m3e-small"})
    assert isinstance(built, SentenceTransformerEmbedder) and built.batch_size == 32


def test_configs_of_earlier_runs_with_an_embedding_seed_still_build():
    """Runs logged before embedding.seed was dropped store it; it never changed a vector."""
    for backend in ("sentence_transformers", "onnx"):
        built = build_embedder({"backend": backend, "model": "m3e-small", "seed": 42})
        assert not hasattr(built, "seed")


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"backend": "word2vec"}, "embedding.backend"),
        ({"backend": "sentence_transformers", "modle": "m3e-small"}, "modle"),
        ({"backend": "tfidf_svd"}, "needs a tokenizer"),
        ({"backend": "sentence_transformers", "cache": True}, "cache_dir"),
    ],
)
def test_bad_configs_raise_clear_errors(cfg, message):
    with pytest.raises(InputError, match=message):
        build_embedder(cfg)

"""Embedding through a compute backend: Ray equals local, chunks are cached as they arrive."""

from __future__ import annotations

import atexit
import shutil
import socket
import tempfile

import numpy as np
import pytest
from omegaconf import OmegaConf

from topics.compute import LocalCompute
from topics.compute.ray_backend import RayCompute
from topics.config_schema import load_option
from topics.embedding import (
    CachedEmbedder,
    EmbeddingCache,
    SentenceTransformerEmbedder,
    TfidfSvdEmbedder,
    build_embedder,
)
from topics.embedding.cache import KEYS_SUFFIX


def embedding_node(name: str, tmp_path, **changes):
    """``configs/embedding/<name>.yaml`` under a root giving ``paths`` and ``seed``."""
    root = OmegaConf.create({"paths": {"cache_dir": str(tmp_path / "cache")}, "seed": 3})
    root.embedding = load_option("embedding", name)
    root.embedding.update(changes)
    return root.embedding


class FailingAfter:
    """A real TF-IDF/SVD embedder that dies (like a killed job) on its ``calls``-th chunk."""

    def __init__(self, inner: TfidfSvdEmbedder, calls: int) -> None:
        self.inner, self.name, self.left, self.seen = inner, inner.name, calls, []

    def identity(self) -> str:
        return self.inner.identity()

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(self, texts):
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt("job stopped")
        self.seen.extend(texts)
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def ray_compute():
    ray = pytest.importorskip("ray")
    temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    compute = RayCompute(
        num_cpus=2, num_workers=2, num_cpus_per_worker=1, chunk_size=16, temp_dir=temp_dir
    )
    yield compute
    compute.close()
    # the local instance stays up for later users in this process (it stops at exit)
    assert ray.is_initialized()
    atexit.register(shutil.rmtree, temp_dir, True)


@pytest.mark.slow
def test_m3e_on_ray_equals_local_and_fills_the_cache(ray_compute, seed_units, tmp_path):
    texts = seed_units[:60]
    node = embedding_node("m3e_small", tmp_path, max_seq_length=128)
    local = build_embedder({**OmegaConf.to_container(node, resolve=True), "cache": False})
    assert isinstance(local, SentenceTransformerEmbedder)
    expected = local.embed(texts)

    on_ray = build_embedder(node, compute=ray_compute)
    assert isinstance(on_ray, CachedEmbedder) and on_ray.compute is ray_compute
    vectors = on_ray.embed(texts + texts[:5])
    assert vectors.shape == (65, 512) and vectors.dtype == np.float32
    assert np.abs(vectors[:60] - expected).max() < 1e-4
    assert np.array_equal(vectors[60:], vectors[:5])
    stats = on_ray.cache.stats
    assert (stats["misses"], stats["written"]) == (60, 60)
    folder = on_ray.cache.directory(local.identity())
    assert len(list(folder.glob("*" + KEYS_SUFFIX))) == 4, "one shard per chunk of 16"

    again = build_embedder(node, compute=ray_compute)
    assert np.array_equal(again.embed(texts), vectors[:60])
    assert again.cache.stats["hit_ratio"] == 1.0 and again.cache.stats["written"] == 0


@pytest.mark.slow
def test_no_cache_with_compute_still_embeds_in_chunks(seed_units, tmp_path):
    node = OmegaConf.to_container(
        embedding_node("m3e_small", tmp_path, max_seq_length=128), resolve=True
    )
    node["cache"] = False
    plain = build_embedder(node)
    chunked = build_embedder(node, compute=LocalCompute(chunk_size=7))
    assert isinstance(chunked, CachedEmbedder) and chunked.cache is None
    texts = seed_units[:12]
    np.testing.assert_allclose(chunked.embed(texts), plain.embed(texts), rtol=0, atol=1e-5)
    assert not (tmp_path / "cache").exists()


def test_finished_chunks_survive_an_interrupted_run(tmp_path, seed_units, tokenizer):
    fitted = TfidfSvdEmbedder(tokenizer, n_components=16, seed=0).fit(seed_units)
    texts = seed_units[:40]
    dying = FailingAfter(fitted, calls=3)
    with pytest.raises(KeyboardInterrupt):
        CachedEmbedder(dying, EmbeddingCache(tmp_path), compute=LocalCompute(10)).embed(texts)
    assert dying.seen == texts[:20]

    resumed = FailingAfter(fitted, calls=-1)
    cached = CachedEmbedder(resumed, EmbeddingCache(tmp_path), compute=LocalCompute(10))
    out = cached.embed(texts)
    assert resumed.seen == texts[20:]
    assert cached.cache.stats["hits"] == 20 and cached.cache.stats["written"] == 20
    np.testing.assert_allclose(out, fitted.embed(texts), rtol=0, atol=1e-6)


def test_fittable_embedder_stays_in_this_process(tmp_path, seed_units, tokenizer):
    with socket.socket() as sock:  # a backend that fails if anything tries to start it
        sock.bind(("127.0.0.1", 0))
        nowhere = RayCompute(address=f"127.0.0.1:{sock.getsockname()[1]}")
    node = embedding_node("tfidf_svd", tmp_path)
    built = build_embedder(node, tokenizer=tokenizer, compute=nowhere)
    assert isinstance(built, CachedEmbedder) and built.setup is None
    vectors = built.embed(seed_units)
    assert vectors.shape[0] == len(seed_units)
    assert built.cache.stats["written"] == len(set(seed_units))
    node.cache = False
    assert isinstance(build_embedder(node, tokenizer=tokenizer, compute=nowhere), TfidfSvdEmbedder)

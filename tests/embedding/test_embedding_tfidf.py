"""TF-IDF + SVD baseline: determinism, clipping, identity, errors, the project tokenizer."""

from __future__ import annotations

import numpy as np
import pytest

from topics.data.types import InputError
from topics.embedding import TfidfSvdEmbedder
from topics.hashing import corpus_fingerprint


def test_fixed_seed_gives_identical_vectors_and_identity(seed_units, tokenizer):
    a = TfidfSvdEmbedder(tokenizer, n_components=64, seed=7).fit(seed_units)
    b = TfidfSvdEmbedder(tokenizer, n_components=64, seed=7).fit(seed_units)
    va, vb = a.embed(seed_units[:30]), b.embed(seed_units[:30])
    assert va.dtype == np.float32 and va.shape == (30, 64) and a.dim == 64
    assert np.array_equal(va, vb)
    assert a.identity() == b.identity()
    np.testing.assert_allclose(np.linalg.norm(va, axis=1), 1.0, atol=1e-5)


def test_identity_tracks_the_fit_corpus_and_settings(seed_units, tokenizer):
    base = TfidfSvdEmbedder(tokenizer, n_components=32, seed=0).fit(seed_units)
    other_corpus = TfidfSvdEmbedder(tokenizer, n_components=32, seed=0).fit(seed_units[1:])
    other_seed = TfidfSvdEmbedder(tokenizer, n_components=32, seed=1).fit(seed_units)
    ids = {base.identity(), other_corpus.identity(), other_seed.identity()}
    assert len(ids) == 3
    assert base.corpus_fingerprint_ in base.identity()
    assert "jieba_tokens" in base.identity()
    # One fingerprint for the embedder identity and the run's corpus_fingerprint tag.
    assert base.corpus_fingerprint_ == corpus_fingerprint(seed_units)


def test_corpus_fingerprint_depends_on_order_and_text_boundaries():
    assert corpus_fingerprint(["ab", "c"]) != corpus_fingerprint(["a", "bc"])
    assert corpus_fingerprint(["a", "b"]) != corpus_fingerprint(["b", "a"])
    assert corpus_fingerprint(iter(["a", "b"])) == corpus_fingerprint(["a", "b"])


def test_embed_fits_on_first_call_and_clips_components(seed_units, tokenizer):
    emb = TfidfSvdEmbedder(tokenizer, n_components=256, seed=0)
    assert not emb.fitted
    with pytest.raises(InputError, match="not fitted"):
        emb.identity()
    out = emb.embed(seed_units[:6])
    assert emb.fitted and emb.n_components_ <= 6 and out.shape == (6, emb.n_components_)
    assert emb.embed([]).shape == (0, emb.dim)


def test_text_without_known_terms_maps_to_zero(seed_units, tokenizer):
    emb = TfidfSvdEmbedder(tokenizer, n_components=16, seed=0).fit(seed_units)
    out = emb.embed(["zzzqqq xxyyzz"])
    assert out.shape == (1, 16) and not out.any()


def test_bad_settings_and_corpora_raise_clear_errors(tokenizer):
    with pytest.raises(InputError, match="n_components"):
        TfidfSvdEmbedder(tokenizer, n_components=0).fit(["银行 模型"])
    with pytest.raises(InputError, match="zero texts"):
        TfidfSvdEmbedder(tokenizer).fit([])
    with pytest.raises(InputError, match="vocabulary"):
        TfidfSvdEmbedder(tokenizer).fit(["   ", "。。。"])
    with pytest.raises(InputError, match="tokenizer"):
        TfidfSvdEmbedder(None).fit(["银行"])


def test_with_the_project_chinese_tokenizer(seed_units):
    from topics.tokenize import ChineseTokenizer

    tok = ChineseTokenizer()
    a = TfidfSvdEmbedder(tok, n_components=48, seed=3).fit(seed_units)
    b = TfidfSvdEmbedder(tok, n_components=48, seed=3).fit(seed_units)
    assert np.array_equal(a.embed(seed_units[:10]), b.embed(seed_units[:10]))
    assert "ChineseTokenizer" in a.identity()
    vecs = a.embed(seed_units)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)

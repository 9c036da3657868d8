"""The reduction cache: a rerun or a clustering sweep reduces the embeddings once."""

from __future__ import annotations

import logging
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from tm_helpers import compose_topic_model
from umap import UMAP

from topics.topic_model import build_topic_model, fit_topics
from topics.topic_model.reduction_cache import CachedReducer

pytestmark = pytest.mark.slow


def test_pca_hit_returns_the_same_reduction_and_fits_lazily_for_new_points(
    tmp_path, unit_embeddings
):
    train, new = unit_embeddings[:80], unit_embeddings[80:]
    first = CachedReducer(PCA(n_components=5, random_state=1), tmp_path)
    reduced = first.fit_transform(train)
    assert not first.cache_hit_ and len(list(tmp_path.glob("*.npy"))) == 1
    second = CachedReducer(PCA(n_components=5, random_state=1), tmp_path)
    np.testing.assert_array_equal(second.fit_transform(train), reduced)
    assert second.cache_hit_
    np.testing.assert_array_equal(second.transform(train), reduced)
    # new points need the fitted reducer: fitted on the training vectors when first asked
    np.testing.assert_allclose(second.transform(new), first.transform(new), atol=1e-5)
    # other settings or other vectors are other entries
    third = CachedReducer(PCA(n_components=4, random_state=1), tmp_path)
    third.fit_transform(train)
    assert not third.cache_hit_
    CachedReducer(PCA(n_components=5, random_state=1), tmp_path).fit_transform(train[:-1])
    assert len(list(tmp_path.glob("*.npy"))) == 3


def test_corrupt_entry_is_recomputed_with_a_warning(tmp_path, unit_embeddings, caplog):
    reducer = CachedReducer(PCA(n_components=3, random_state=0), tmp_path)
    reduced = reducer.fit_transform(unit_embeddings)
    (entry,) = tmp_path.glob("*.npy")
    entry.write_bytes(b"not a numpy file")
    again = CachedReducer(PCA(n_components=3, random_state=0), tmp_path)
    with caplog.at_level(logging.WARNING):
        np.testing.assert_allclose(again.fit_transform(unit_embeddings), reduced, atol=1e-6)
    assert not again.cache_hit_ and "unreadable entry" in caplog.text
    assert np.load(entry).shape == reduced.shape  # rewritten whole


def test_pickle_leaves_the_training_vectors_behind(tmp_path, unit_embeddings):
    CachedReducer(PCA(n_components=3, random_state=0), tmp_path).fit_transform(unit_embeddings)
    hit = CachedReducer(PCA(n_components=3, random_state=0), tmp_path)
    hit.fit_transform(unit_embeddings)
    copy = pickle.loads(pickle.dumps(hit))
    assert "_train" not in copy.__dict__
    np.testing.assert_allclose(
        copy.transform(unit_embeddings[:5]), hit.transform(unit_embeddings[:5]), atol=1e-6
    )


def test_umap_rerun_is_a_hit_with_identical_topics(
    tmp_path, seed_units, unit_embeddings, tokenizer
):
    cfg = compose_topic_model(f"topic_model.cache_dir={tmp_path}")
    results = []
    for _ in range(2):
        model = build_topic_model(cfg, tokenizer)
        assert isinstance(model.umap_model, CachedReducer)
        assert isinstance(model.umap_model.reducer, UMAP)
        results.append(fit_topics(model, seed_units["texts"], unit_embeddings))
    assert model.umap_model.cache_hit_
    pd.testing.assert_frame_equal(results[0].assignments, results[1].assignments)
    assert len(list((tmp_path / "reductions").glob("*.npy"))) == 1

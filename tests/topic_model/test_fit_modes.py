"""Fit modes on the real seed paragraphs: on a sample (assign the rest) and online (partial_fit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tm_helpers import compose_topic_model

from topics.topic_model import TopicModelConfigError, build_topic_model, fit_topics
from topics.topic_model.modes import assign, online_batches

pytestmark = pytest.mark.slow

SAMPLE = ["topic_model.fit_mode=sample", "topic_model.sample_size=60"]
ONLINE = [
    "topic_model.fit_mode=online",
    "topic_model/reduction=ipca",
    "topic_model/clustering=minibatch_kmeans",
    "topic_model.clustering.n_clusters=5",
    "topic_model.online_batch_size=40",
]


def _fit(overrides, seed_units, embeddings, tokenizer):
    model = build_topic_model(compose_topic_model(*overrides), tokenizer)
    result = fit_topics(
        model, seed_units["texts"], embeddings, seed_units["unit_ids"], seed_units["doc_ids"]
    )
    return model, result


def _check_complete(result, seed_units) -> None:
    n = len(seed_units["texts"])
    assignments = result.assignments
    assert list(assignments.unit_id) == seed_units["unit_ids"]
    assert result.topics_table["size"].sum() == n
    assert result.n_topics >= 2
    # words were recounted over every unit: each topic's words occur in its own units
    for _, row in result.topics_table[result.topics_table.topic != -1].iterrows():
        members = " ".join(
            t for t, k in zip(seed_units["texts"], assignments.topic, strict=True) if k == row.topic
        )
        assert row.words and all(w.lower() in members.lower() for w in row.words[:3]), row.words


def test_sample_mode_fits_on_a_seeded_sample_and_assigns_every_unit(
    seed_units, unit_embeddings, tokenizer
):
    model, result = _fit(SAMPLE, seed_units, unit_embeddings, tokenizer)
    _check_complete(result, seed_units)
    # the clusterer saw exactly the sample
    assert len(model.hdbscan_model.labels_) == 60
    # the units outside the sample got the topic the fitted model predicts for them
    rng = np.random.default_rng(42)
    inside = np.sort(rng.choice(len(seed_units["texts"]), size=60, replace=False))
    outside = np.setdiff1d(np.arange(len(seed_units["texts"])), inside)
    before = result.assignments.topic_before_outlier_reduction.to_numpy()
    texts = [seed_units["texts"][i] for i in outside]
    predicted, _ = assign(model, texts, unit_embeddings[outside])
    np.testing.assert_array_equal(predicted, before[outside])
    # reproducible with the same seed
    _, again = _fit(SAMPLE, seed_units, unit_embeddings, tokenizer)
    pd.testing.assert_frame_equal(result.assignments, again.assignments)


def test_online_mode_learns_batch_by_batch(seed_units, unit_embeddings, tokenizer):
    model, result = _fit(ONLINE, seed_units, unit_embeddings, tokenizer)
    _check_complete(result, seed_units)
    # 113 units in batches of 40: three partial_fit calls, the short tail joined to the last
    assert model.hdbscan_model.n_steps_ >= 1 and model.umap_model.n_samples_seen_ == len(
        seed_units["texts"]
    )
    assert result.outlier_ratio_before == 0.0
    assert set(result.assignments.topic) <= set(range(5))


def test_online_model_saves_and_loads(seed_units, unit_embeddings, tokenizer, tmp_path):
    from topics.topic_model import load_topic_model, save_topic_model

    model, result = _fit(ONLINE, seed_units, unit_embeddings, tokenizer)
    save_topic_model(model, tmp_path / "model")
    loaded = load_topic_model(tmp_path / "model", None, tokenizer)
    for topic in result.topics_table.topic:
        assert [w for w, _ in loaded.get_topic(topic)][:3] == result.topics_table.set_index(
            "topic"
        ).at[topic, "words"][:3]


def test_online_batches_cover_every_unit_once():
    batches = online_batches(113, 40, seed=1, floor=10)
    assert [len(b) for b in batches] == [40, 40, 33]
    assert sorted(np.concatenate(batches).tolist()) == list(range(113))
    assert [len(b) for b in online_batches(85, 40, seed=1, floor=10)] == [40, 45]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["topic_model.fit_mode=online"], "reduction=ipca"),
        (["topic_model.fit_mode=sample", "topic_model/clustering=agglomerative"], "cannot assign"),
        (["topic_model.fit_mode=sample", "topic_model.guided=true"], "guided"),
        (["topic_model.fit_mode=stream"], "fit_mode"),
        (["topic_model.fit_mode=sample", "topic_model.sample_size=0"], "sample_size"),
    ],
)
def test_fit_mode_misconfigurations_name_the_setting(overrides, message, tokenizer):
    with pytest.raises(TopicModelConfigError, match=message):
        build_topic_model(compose_topic_model(*overrides), tokenizer)

"""topic_metrics / evaluate_topics on a real fit of the seed corpus."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.slow
def test_topic_metrics_on_the_seed_corpus(root_cfg, project_tokenizer, seed_units, seed_embeddings):
    from topics.evaluation import evaluate_topics, topic_metrics, unit_tokens
    from topics.topic_model import build_topic_model, fit_topics

    model = build_topic_model(root_cfg.topic_model, project_tokenizer)
    texts = seed_units.norm.tolist()
    result = fit_topics(
        model, texts, seed_embeddings, seed_units.unit_id.tolist(), seed_units.doc_id.tolist()
    )
    tokens = unit_tokens(texts, project_tokenizer)
    # the source article stands in for a gold label
    ev = evaluate_topics(result, tokens, labels=seed_units.doc_id.tolist())
    m = ev.metrics
    assert m["topics/n_topics"] == result.n_topics == len(ev.per_topic)
    # topic words come from the same tokenizer, so every one of them occurs in the corpus
    assert m["topics/npmi_missing_words"] == 0
    assert -1.0 <= m["topics/npmi_mean"] <= 1.0
    assert m["topics/npmi_mean"] == pytest.approx(np.nanmean(ev.per_topic.npmi))
    assert 0.0 < m["topics/diversity"] <= 1.0
    assert m["topics/outlier_ratio_before"] == result.outlier_ratio_before
    for name in ("nmi", "ari", "v_measure", "nmi_no_outliers"):
        assert -1.0 <= m[f"topics/{name}"] <= 1.0
    assert m["topics/n_labeled"] == len(seed_units)
    assert m["topics/n_labeled_no_outliers"] == round(
        len(seed_units) * (1 - result.outlier_ratio_before)
    )
    assert set(ev.per_topic.columns) >= {"topic", "size", "npmi", "words"}
    plain = topic_metrics(result, tokens)
    assert "topics/nmi" not in plain and plain["topics/npmi_mean"] == m["topics/npmi_mean"]

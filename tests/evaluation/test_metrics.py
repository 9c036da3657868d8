"""topic_metrics / evaluate_topics on a real fit of the seed corpus."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.slow
def test_topic_metrics_on_the_seed_corpus(root_cfg, project_tokenizer, seed_units, seed_embeddings):
    from topics.evaluation import (
        evaluate_topics,
        label_agreement,
        npmi_coherence,
        topic_metrics,
        unit_tokens,
    )
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
    assert m["topics/npmi_mean"] == pytest.approx(np.nanmean(ev.per_topic.npmi))
    # baselines: the same number of words drawn at random from the corpus vocabulary cohere
    # less, and topics score higher against the articles than against shuffled article labels
    rng = np.random.default_rng(0)
    words = [w.split() for w in ev.per_topic.words]
    vocab = sorted({t for toks in tokens for t in toks})
    random_words = [list(rng.choice(vocab, size=len(w), replace=False)) for w in words]
    chance_npmi = npmi_coherence(tokens, random_words).mean
    assert m["topics/npmi_mean"] > chance_npmi + 0.1, (m["topics/npmi_mean"], chance_npmi)
    n_words = sum(len(w) for w in words)
    assert m["topics/diversity"] == pytest.approx(len({t for w in words for t in w}) / n_words)
    assert m["topics/diversity"] > 1 / m["topics/n_topics"]  # not every topic the same words
    assert m["topics/outlier_ratio_before"] == result.outlier_ratio_before
    assignments = result.assignments
    placed = (assignments["topic_before_outlier_reduction"] == -1).to_numpy()
    shuffled = [
        label_agreement(
            assignments["topic"].to_numpy(), rng.permutation(seed_units.doc_id), outliers=placed
        )
        for _ in range(20)
    ]
    for name in ("nmi", "ari", "v_measure", "nmi_no_outliers"):
        chance = max(s[f"topics/{name}"] for s in shuffled)
        print(f"{name}: {m[f'topics/{name}']:.3f} vs shuffled labels at most {chance:.3f}")
        assert m[f"topics/{name}"] > chance, name
    assert m["topics/n_labeled"] == len(seed_units)
    assert m["topics/n_labeled_no_outliers"] == round(
        len(seed_units) * (1 - result.outlier_ratio_before)
    )
    assert set(ev.per_topic.columns) >= {"topic", "size", "npmi", "words"}
    plain = topic_metrics(result, tokens)
    assert "topics/nmi" not in plain and plain["topics/npmi_mean"] == m["topics/npmi_mean"]

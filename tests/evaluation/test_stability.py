"""Stability mode on the real seed corpus and m3e-small embeddings; matching on hand cases."""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import OmegaConf

from topics.data.types import InputError
from topics.evaluation import average_jaccard, match_topics, stability_report


def test_average_jaccard_hand_cases():
    assert average_jaccard(["a", "b", "c"], ["a", "b", "c"]) == 1.0
    assert average_jaccard(["a", "b"], ["c", "d"]) == 0.0
    # depth 1: {a} vs {b} = 0; depth 2: {a, b} vs {b, a} = 1
    assert average_jaccard(["a", "b"], ["b", "a"]) == pytest.approx(0.5)
    # depth 1: 1, depth 2: 1/3 -> cut at top_n=2
    assert average_jaccard(["a", "b", "x"], ["a", "c", "x"], top_n=2) == pytest.approx(2 / 3)
    assert average_jaccard([], ["a"]) == 0.0


def test_hungarian_matching_finds_the_permutation():
    a = [["x1", "x2", "x3"], ["y1", "y2", "y3"], ["z1", "z2", "z3"]]
    b = [["z1", "z2", "q"], ["x1", "x2", "x3"], ["y1", "y2", "y3"], ["n1", "n2", "n3"]]
    pairs, scores = match_topics(a, b)
    assert sorted(pairs) == [(0, 1), (1, 2), (2, 0)]
    assert scores[[i for i, _ in pairs].index(0)] == 1.0
    assert 0.0 <= scores.min() <= scores.max() <= 1.0
    assert match_topics([], b) == ([], pytest.approx(np.empty(0)))


def _builder(root_cfg, project_tokenizer, **overrides):
    from topics.topic_model import build_topic_model

    def build(seed: int):
        cfg = OmegaConf.to_container(root_cfg.topic_model, resolve=True)
        cfg = OmegaConf.merge(cfg, {"seed": seed}, overrides)
        return build_topic_model(cfg, project_tokenizer)

    return build


def _inputs(units, vectors):
    return dict(
        texts=units.norm.tolist(),
        embeddings=vectors,
        unit_ids=units.unit_id.tolist(),
        doc_ids=units.doc_id.tolist(),
    )


@pytest.mark.slow
def test_shuffled_refits_on_the_seed_corpus(
    root_cfg, project_tokenizer, seed_units, seed_embeddings
):
    from topics.topic_model import fit_topics

    build = _builder(root_cfg, project_tokenizer)
    report = stability_report(build, **_inputs(seed_units, seed_embeddings), n_runs=3, seed=42)
    m = report.metrics
    assert -1.0 <= m["stability/ari_mean"] <= 1.0 and m["stability/ari_std"] >= 0.0
    assert 0.0 <= m["stability/topic_agreement"] <= m["stability/topic_match_jaccard"] <= 1.0
    assert (
        m["stability/n_topics_min"] <= m["stability/n_topics_mean"] <= m["stability/n_topics_max"]
    )
    assert len(report.runs) == 3 and len(report.pairs) == 3
    assert report.runs.shuffled.tolist() == [False, True, True]
    assert report.assignments.shape == (3, len(seed_units))
    # refit 0 keeps the seed and the order: it is the job's own fit
    own = fit_topics(build(42), **_inputs(seed_units, seed_embeddings))
    np.testing.assert_array_equal(report.assignments[0], own.assignments.topic.to_numpy())
    assert report.runs.n_topics[0] == own.n_topics


@pytest.mark.slow
def test_same_seed_same_order_is_deterministic(
    root_cfg, project_tokenizer, seed_units, seed_embeddings
):
    fixed = _builder(root_cfg, project_tokenizer)
    report = stability_report(
        lambda _seed: fixed(42), **_inputs(seed_units, seed_embeddings), n_runs=2, shuffle=False
    )
    assert report.metrics["stability/ari_mean"] == 1.0
    assert report.metrics["stability/topic_match_jaccard"] == 1.0
    assert report.metrics["stability/n_topics_std"] == 0.0


@pytest.mark.slow
def test_shuffled_assignments_are_mapped_back(
    root_cfg, project_tokenizer, seed_units, seed_embeddings
):
    # PCA + HDBSCAN do not depend on the unit order: a shuffled refit must agree exactly
    build = _builder(root_cfg, project_tokenizer, reduction={"name": "pca", "n_components": 5})
    report = stability_report(
        build, **_inputs(seed_units, seed_embeddings), n_runs=2, shuffle=True, token_lists=None
    )
    assert report.runs.shuffled.tolist() == [False, True]
    assert report.metrics["stability/ari_mean"] == pytest.approx(1.0)
    assert report.metrics["stability/topic_match_jaccard"] == pytest.approx(1.0)


def test_bad_arguments_raise():
    with pytest.raises(InputError, match="n_runs"):
        stability_report(lambda s: None, ["a"] * 3, np.zeros((3, 2)), n_runs=1)
    with pytest.raises(InputError, match="one of each per unit"):
        stability_report(lambda s: None, ["a"] * 3, np.zeros((2, 2)), n_runs=2)
    with pytest.raises(InputError, match="token lists"):
        stability_report(lambda s: None, ["a"] * 3, np.zeros((3, 2)), n_runs=2, token_lists=[["a"]])

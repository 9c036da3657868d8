"""Stability mode on the real seed corpus and m3e-small embeddings; matching on hand cases."""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import OmegaConf
from sklearn.metrics import adjusted_rand_score

from topics.data.types import InputError
from topics.evaluation import average_jaccard, match_topics, stability_report
from topics.evaluation.clusterwise import NOT_DRAWN


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
    # refits agree far better than refit 0 with a random relabelling of its units
    rng = np.random.default_rng(0)
    first = report.assignments[0]
    chance = max(adjusted_rand_score(first, rng.permutation(first)) for _ in range(20))
    assert m["stability/ari_mean"] > chance + 0.2
    assert m["stability/topic_agreement"] <= m["stability/topic_match_jaccard"]
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


@pytest.mark.slow
def test_bootstrap_refits_compare_on_common_units(
    root_cfg, project_tokenizer, seed_units, seed_embeddings
):
    build = _builder(root_cfg, project_tokenizer, reduction={"name": "pca", "n_components": 5})
    inputs = _inputs(seed_units, seed_embeddings)
    report = stability_report(build, **inputs, n_runs=3, resample="bootstrap", reference=None)
    n = len(seed_units)
    drawn = report.assignments != NOT_DRAWN
    assert (drawn.sum(axis=1) < n).all() and (drawn.sum(axis=1) > n / 2).all()
    assert (report.runs.n_drawn == drawn.sum(axis=1)).all()
    pair = report.pairs.iloc[0]
    assert pair.n_common == (drawn[0] & drawn[1]).sum()
    # ARI on the common units only, recomputed here
    common = drawn[0] & drawn[1]
    a, b = report.assignments[0][common], report.assignments[1][common]
    assert pair.ari == pytest.approx(adjusted_rand_score(a, b))
    # the clustered ARI keeps the units both clusterers placed, and says how many
    placed = common & (report.clustered[0] >= 0) & (report.clustered[1] >= 0)
    assert pair.coverage == pytest.approx(placed.sum() / common.sum())
    m = report.metrics
    assert m["stability/ari_clustered_coverage"] == pytest.approx(report.pairs.coverage.mean())
    # clusterwise stability of a reference: refit 0's own topics score highest against it
    own = stability_report(
        build,
        **inputs,
        n_runs=2,
        resample="subsample",
        sample_fraction=0.9,
        reference=np.where(drawn[0], report.clustered[0], -1),
    )
    assert own.topic_stability and all(0.0 <= v <= 1.0 for v in own.topic_stability.values())


def test_bad_arguments_raise():
    with pytest.raises(InputError, match="n_runs"):
        stability_report(lambda s: None, ["a"] * 3, np.zeros((3, 2)), n_runs=1)
    with pytest.raises(InputError, match="one of each per unit"):
        stability_report(lambda s: None, ["a"] * 3, np.zeros((2, 2)), n_runs=2)
    with pytest.raises(InputError, match="resample"):
        stability_report(lambda s: None, ["a"] * 3, np.zeros((3, 2)), n_runs=2, resample="jack")
    with pytest.raises(InputError, match="token lists"):
        stability_report(lambda s: None, ["a"] * 3, np.zeros((3, 2)), n_runs=2, token_lists=[["a"]])

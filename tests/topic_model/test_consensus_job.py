"""Consensus topics through the real pipeline on the seed corpus (m3e-small, BERTopic, MLflow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from sklearn.metrics import adjusted_rand_score

from topics.runner import run
from topics.tracking import resolve_tracking_uri

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def consensus_job(tmp_path_factory):
    from jobcfg import compose_job

    root = tmp_path_factory.mktemp("root")
    cfg, out = compose_job(
        root,
        [
            "topic_model.consensus.enabled=true",
            "topic_model.consensus.n_models=4",
            "stability.enabled=true",
            "stability.n_runs=2",
            "stages=[data,preprocess,embedding,topic_model]",
        ],
    )
    return cfg, run(cfg, out)


def test_topics_carry_their_stability(consensus_job):
    cfg, result = consensus_job
    topics = pd.read_csv(result.output_dir / "topics/topics.csv")
    real = topics[topics.topic >= 0]
    assert len(real) >= 1
    threshold = cfg.topic_model.consensus.min_recurrence
    assert real.stability.between(0.0, 1.0).all()
    assert topics.loc[topics.topic == -1, "stability"].isna().all()
    # the stability mode scores the job's topics against its refits, too
    assert "refit_stability" in topics
    assert result.metrics["topics/stability_min"] == pytest.approx(real.stability.min())
    assert result.metrics["topics/n_unstable"] == (real.stability < threshold).sum()


def test_assignments_are_the_consensus_labels(consensus_job):
    _, result = consensus_job
    frame = pd.read_parquet(result.output_dir / "topics/assignments.parquet")
    placed = frame.topic_before_outlier_reduction >= 0
    # outlier reduction only moves the consensus outliers
    assert (frame.topic[placed] == frame.topic_before_outlier_reduction[placed]).all()
    # the probability column is the unit's co-association with its topic
    assert frame.probability[placed].between(0.0, 1.0).all()
    assert (frame.probability[~placed].fillna(0.0) == 0.0).all()


def test_stability_metrics_and_coverage_are_logged(consensus_job):
    cfg, result = consensus_job
    metrics = MlflowClient(resolve_tracking_uri(cfg)).get_run(result.run_id).data.metrics
    for name in (
        "topics/stability_mean",
        "stability/ari_mean",
        "stability/ari_clustered_mean",
        "stability/ari_clustered_coverage",
        "stability/topic_stability_mean",
    ):
        assert name in metrics, name
    assert 0.0 < metrics["stability/ari_clustered_coverage"] <= 1.0
    # bootstrap refits draw ~63% of the units each: two share fewer units than the corpus
    assert metrics["stability/common_units_mean"] < metrics["data/n_units"]
    pairs = pd.read_csv(result.output_dir / "topics/stability_pairs.csv")
    assert {"ari", "ari_clustered", "coverage", "n_common"} <= set(pairs.columns)


def test_refits_agree_better_than_a_random_labelling(consensus_job):
    _, result = consensus_job
    frame = pd.read_parquet(result.output_dir / "topics/assignments.parquet")
    labels = frame.topic.to_numpy()
    rng = np.random.default_rng(0)
    baseline = np.mean([adjusted_rand_score(labels, rng.permutation(labels)) for _ in range(20)])
    assert result.metrics["stability/ari_mean"] > baseline + 0.2


def test_figures_mark_stability(consensus_job):
    _, result = consensus_job
    figures = result.output_dir / "topics/figures"
    assert (figures / "topics_map.png").stat().st_size > 0
    assert (figures / "topics_barchart.png").stat().st_size > 0

"""Stability refits on a resample: ``stability.scale_min_cluster_size`` keeps the topic grain."""

from __future__ import annotations

import pytest
from tm_helpers import compose_topic_model

from topics.topic_model.components import build_clusterer, scaled_min_cluster_size
from topics.topic_model.stage import refit_conf


@pytest.mark.parametrize(
    ("size", "fraction", "expected"), [(300, 0.63, 189), (5, 0.63, 3), (3, 0.2, 2), (40, 1.0, 40)]
)
def test_scaled_size_keeps_the_share_of_the_corpus_and_hdbscans_minimum(size, fraction, expected):
    assert scaled_min_cluster_size(size, fraction) == expected


def test_a_scaled_refit_clusters_with_the_smaller_size_and_leaves_the_job_config_alone():
    conf = compose_topic_model("topic_model.min_cluster_size=300")
    scaled = refit_conf(conf, 6_300, 10_000, scale=True)
    assert scaled.min_cluster_size == 189
    assert build_clusterer(scaled, 0).min_cluster_size == 189
    assert conf.min_cluster_size == 300
    assert build_clusterer(conf, 0).min_cluster_size == 300
    # the rest of the model is the job's
    assert scaled.reduction == conf.reduction
    assert scaled.consensus == conf.consensus


def test_without_scaling_or_on_every_unit_a_refit_uses_the_job_config():
    conf = compose_topic_model("topic_model.min_cluster_size=300")
    assert refit_conf(conf, 6_300, 10_000, scale=False) is conf
    assert refit_conf(conf, 10_000, 10_000, scale=True) is conf


def test_an_explicit_clusterer_size_is_scaled_too():
    conf = compose_topic_model(
        "topic_model.min_cluster_size=300", "topic_model.clustering.min_cluster_size=100"
    )
    assert build_clusterer(refit_conf(conf, 5_000, 10_000, scale=True), 0).min_cluster_size == 50

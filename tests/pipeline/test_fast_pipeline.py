"""A whole job in seconds, not marked slow: TF-IDF+SVD vectors, PCA, k-means, a temporary store.

It exercises the runner, every topic stage and MLflow without loading a sentence model, so a
broken contract between stages shows up in the quick test loop.
"""

from __future__ import annotations

import pandas as pd
from mlflow.tracking import MlflowClient

from topics.runner import run

FAST = [
    "embedding=tfidf_svd",
    "topic_model/reduction=pca",
    "topic_model/clustering=kmeans",
    "topic_model.clustering.n_clusters=4",
    "topic_model.consensus.enabled=false",  # one k-means fit, not the seeds' consensus default
    "figures=false",
    "stages=[data,preprocess,embedding,topic_model]",
    "quiet=true",
]


def test_fast_job_runs_every_topic_stage_and_tracks_it(job_factory, tmp_path):
    cfg, out = job_factory(FAST)
    result = run(cfg)

    topics = pd.read_csv(next(out.rglob("topics.csv")))
    # k-means assigns every unit: four topics, no outliers, sizes add up to the units
    real = topics[topics.topic != -1]
    assert len(real) == 4
    assert real["size"].sum() == len(pd.read_parquet(next(out.rglob("assignments.parquet"))))
    assert all(isinstance(w, str) and w for w in real.label)

    client = MlflowClient(tracking_uri=f"sqlite:///{cfg.tracking.db_path}")
    run_info = client.get_run(result.run_id)
    assert run_info.info.status == "FINISHED"
    assert run_info.data.params["embedding.name"] == "tfidf_svd"
    names = {a.path for a in client.list_artifacts(result.run_id)}
    assert "hydra" in names, names
    # '/'-separated metric names, each stage timed
    assert any(k.startswith("time/topic_model") for k in run_info.data.metrics)

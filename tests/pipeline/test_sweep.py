"""The README's six-job sweep: one parent run, six children, cached embeddings reused."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from mlflow import MlflowClient

pytestmark = pytest.mark.slow


def test_six_job_sweep_shares_a_parent_and_reuses_embeddings(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CI": "true"}
    cmd = [
        sys.executable,
        "-m",
        "topics.cli.run",
        "-m",
        "embedding=m3e_small,minilm,tfidf_svd",
        "topic_model.min_cluster_size=3,5",
        f"paths.root_dir={tmp_path}",
        "figures=false",
        # the stages a sweep over embeddings and topic sizes exercises (themes: tests/pipeline)
        "stages=[data,preprocess,embedding,topic_model]",
    ]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert proc.stdout.count("MLflow run id:") == 6

    client = MlflowClient(f"sqlite:///{tmp_path}/mlruns/mlflow.db")
    exp = client.get_experiment_by_name("topics-seeds")
    runs = client.search_runs([exp.experiment_id])
    parents = [r for r in runs if r.data.tags.get("sweep") == "true"]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1 and len(children) == 6
    parent = parents[0]
    assert parent.info.status == "FINISHED"
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
    assert all(c.info.status == "FINISHED" for c in children)

    combos = {
        (c.data.params["embedding.name"], c.data.params["topic_model.min_cluster_size"])
        for c in children
    }
    assert combos == {(e, m) for e in ("m3e_small", "minilm", "tfidf_svd") for m in ("3", "5")}
    # the first job of each backend embeds; the second one finds every vector in the cache
    for c in children:
        ratio = c.data.metrics["embedding/cache_hit_ratio"]
        if c.data.params["topic_model.min_cluster_size"] == "5":
            assert ratio == 1.0, c.data.params["embedding.name"]
        else:
            assert ratio == 0.0

    # the experiment READMEs' tables come from MLflow, through the project's command
    from topics.cli.results import main as results_main

    readme = tmp_path / "README.md"
    readme.write_text("# Q\n\n<!-- results:start -->\nold\n<!-- results:end -->\ntail\n")
    uri = f"sqlite:///{tmp_path}/mlruns/mlflow.db"
    assert results_main(["topics-seeds", "--tracking-uri", uri, "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert "old" not in text and text.endswith("tail\n")
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 2 + 6
    assert "embedding.name" in table[0] and "topic_model.min_cluster_size" in table[0]
    assert "embedding.model" not in table[0]  # implied by embedding.name
    assert "n_topics" in table[0]

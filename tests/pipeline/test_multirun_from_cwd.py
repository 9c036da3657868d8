"""A sweep started the way the README shows it: from a folder, without paths.root_dir."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_multirun_resolves_paths_from_the_working_directory(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "CI": "true"}
    for name in ("TOPICS_ROOT", "TOPICS_CACHE_DIR", "MLFLOW_TRACKING_URI"):
        env.pop(name, None)
    cmd = [
        sys.executable,
        "-m",
        "topics.cli.run",
        "-m",
        "debug=fast",
        "embedding=tfidf_svd",
        "topic_model/reduction=pca",
        "stages=[data,preprocess,embedding,topic_model]",
        "topic_model.min_cluster_size=3,5",
    ]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    (sweep,) = (tmp_path / "outputs" / "multiruns").iterdir()
    assert sorted(p.name for p in sweep.iterdir() if p.is_dir()) == ["0", "1"]
    assert (sweep / "0" / ".hydra" / "config.yaml").is_file()
    assert (tmp_path / "mlruns" / "mlflow.db").is_file()
    assert (tmp_path / ".cache" / "embeddings").is_dir()

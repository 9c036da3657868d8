"""Helpers of the reproducibility tests (a plain module): run the default seeds job in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

#: The default seeds job, without figures and the theme stage (they do not change the topics).
TOPIC_JOB = ["figures=false", "stages=[data,preprocess,embedding,topic_model]", "quiet=true"]


def run_job(root: Path, env: dict[str, str] | None = None, args: list[str] = TOPIC_JOB) -> Path:
    """Run ``topics-run`` in a fresh interpreter started in ``root``; return its job folder.

    Everything the job writes (outputs, the SQLite MLflow store, the caches) stays in ``root``.
    ``env`` is added to this process's environment.
    """
    root.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "TOPICS_ROOT": str(root), **(env or {})}
    full_env.pop("TOPICS_CACHE_DIR", None)
    done = subprocess.run(
        [sys.executable, "-m", "topics.cli.run", *args],
        cwd=root,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = sorted((root / "outputs" / "runs").glob("*"))
    assert len(jobs) == 1, jobs
    return jobs[0]


def topics_of(job: Path) -> tuple[pd.DataFrame, list[dict]]:
    """A job's unit assignments (unit id -> topic) and topics (id, size, words)."""
    assignments = pd.read_parquet(job / "topics" / "assignments.parquet")
    table = json.loads((job / "topics" / "topics.json").read_text(encoding="utf-8"))
    topics = [{"topic": t["topic"], "size": t["size"], "words": t["words"]} for t in table]
    return assignments[["unit_id", "topic"]].reset_index(drop=True), topics


def cached_embeddings(root: Path) -> dict[bytes, np.ndarray]:
    """Every vector in ``root``'s embedding cache, by text key."""
    vectors: dict[bytes, np.ndarray] = {}
    for keys_path in sorted((root / ".cache" / "embeddings").rglob("*.keys.npy")):
        keys = np.load(keys_path)
        rows = np.load(keys_path.with_name(keys_path.name.replace(".keys.npy", ".vecs.npy")))
        vectors.update(zip(keys.tolist(), rows, strict=True))
    return vectors

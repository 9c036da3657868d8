"""Helpers of the reproducibility tests (a plain module): the seeds job in a fresh process."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "expected_topics", REPO / "scripts" / "expected_topics.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


#: scripts/expected_topics.py: how the default seeds job is run and read (one source)
expected_topics = _load_script()
start_seeds_job = expected_topics.start_seeds_job
finish_seeds_job = expected_topics.finish_seeds_job
job_topics = expected_topics.job_topics


def assignments_of(job: Path) -> pd.DataFrame:
    """A job's unit assignments: unit id -> topic, in unit order."""
    table = pd.read_parquet(job / "topics" / "assignments.parquet")
    return table[["unit_id", "topic"]].reset_index(drop=True)


def cached_embeddings(root: Path) -> dict[bytes, np.ndarray]:
    """Every vector in ``root``'s embedding cache, by text key."""
    vectors: dict[bytes, np.ndarray] = {}
    for keys_path in sorted((root / ".cache" / "embeddings").rglob("*.keys.npy")):
        keys = np.load(keys_path)
        rows = np.load(keys_path.with_name(keys_path.name.replace(".keys.npy", ".vecs.npy")))
        vectors.update(zip(keys.tolist(), rows, strict=True))
    return vectors

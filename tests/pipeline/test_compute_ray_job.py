"""A whole job with compute=ray on a local Ray instance: embedding and topic assignment on
Ray actors give what the same job gives in-process.

The local job reads the embeddings the Ray job cached (1-thread and 2-thread torch differ in the
last float bits, enough to move a UMAP layout), so the two jobs differ only in where the units
were assigned."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pandas as pd
import pytest

from topics.runner import run

pytestmark = pytest.mark.slow

COMMON = [
    "figures=false",
    "quiet=true",
    "stages=[data,preprocess,embedding,topic_model]",
    # fit on 60 of the 113 paragraphs, assign the other 53 with the fitted model
    "topic_model.fit_mode=sample",
    "topic_model.sample_size=60",
    "topic_model.reduction_cache=false",
    "topic_model.consensus.enabled=false",  # sample mode fits one model (consensus needs full)
]


def test_ray_job_matches_the_local_job(job_factory, monkeypatch, tmp_path):
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    cache = tmp_path / "ray-cache"
    temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    try:
        cfg, out = job_factory(
            [
                *COMMON,
                "compute=ray",
                "compute.num_cpus=2",
                "compute.chunk_size=16",  # several chunks per stage, spread over both actors
                f"compute.temp_dir={temp_dir}",
                # a cache of its own, so that the Ray actors really embed every unit
                f"embedding.cache_dir={cache}",
            ],
            job="ray",
        )
        on_ray = run(cfg, out)
    finally:
        atexit.register(shutil.rmtree, temp_dir, True)  # the instance runs until exit
    # same chunks: UMAP's transform optimises a chunk's points together, so assignments depend
    # (slightly) on the chunk size, not on where the chunk ran
    local_overrides = ["compute=local", "compute.chunk_size=16", f"embedding.cache_dir={cache}"]
    cfg, out = job_factory([*COMMON, *local_overrides], job="local")
    local = run(cfg, out)
    assert local.metrics["embedding/cache_hits"] == local.metrics["embedding/n_units"]
    import ray

    assert ray.is_initialized()  # kept for the next job of this process; stopped at exit
    assert on_ray.metrics["embedding/cache_misses"] == on_ray.metrics["embedding/n_units"] > 100
    shards = list(cache.rglob("*.npy"))
    assert len(shards) >= 7  # one cache shard per 16-unit chunk, written as chunks arrived
    a = pd.read_parquet(local.output_dir / "topics" / "assignments.parquet")
    b = pd.read_parquet(on_ray.output_dir / "topics" / "assignments.parquet")
    pd.testing.assert_frame_equal(
        a.drop(columns=["probability", "similarity"]), b.drop(columns=["probability", "similarity"])
    )
    pd.testing.assert_series_equal(a.similarity, b.similarity, atol=1e-4)
    assert on_ray.metrics["topics/n_topics"] == local.metrics["topics/n_topics"] >= 2
    assert os.environ.get("RAY_ADDRESS") is None

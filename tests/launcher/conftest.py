"""Fixtures of the Ray launcher tests: short Ray temp dirs and one loopback Ray head per module."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ray_sweeps import RayHead, base_env, start_head


@pytest.fixture
def ray_temp_dir() -> Iterator[Path]:
    """A short Ray temp dir under /tmp (Ray's socket paths must stay short), removed after."""
    path = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class Cluster:
    """A running Ray head; ``decoys`` holds the paths its node's own environment points to."""

    head: RayHead
    decoys: Path


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A real Ray head on 127.0.0.1 (2 CPUs), started like `ray start --head` on a cluster node.

    Its shell exports its own TOPICS_ROOT, TOPICS_CACHE_DIR and MLFLOW_TRACKING_URI (all under
    ``decoys``), as a node's login environment might: the launcher config must override them.
    The head is stopped, and its processes reaped, when the module's tests are done.
    """
    decoys = tmp_path_factory.mktemp("node")
    env = base_env(decoys / "node_cache")
    env.update(
        {
            "TOPICS_ROOT": str(decoys / "node_root"),
            "MLFLOW_TRACKING_URI": f"sqlite:///{decoys / 'node_mlflow.db'}",
        }
    )
    temp_dir = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    head = start_head(temp_dir, cwd=decoys, env=env)
    try:
        yield Cluster(head, decoys)
    finally:
        head.stop()
        shutil.rmtree(temp_dir, ignore_errors=True)

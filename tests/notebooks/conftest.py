"""Fixtures of the notebook tests: two real runs on the seeds, a Jupyter kernel inside tmp_path."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
KERNEL = "topics-nbtest"

sys.path.insert(0, str(REPO / "tests" / "pipeline"))  # jobcfg.compose_job, shared with pipeline


@dataclass
class Runs:
    """Two finished runs in one SQLite store: the default job (with figures) and k-means."""

    root: Path
    tracking_uri: str
    default_id: str
    kmeans_id: str


@pytest.fixture(scope="session")
def runs(tmp_path_factory) -> Runs:
    """Run the default job (figures on) and a k-means job on the seeds into one store."""
    import mlflow

    from jobcfg import compose_job
    from topics.runner import run
    from topics.tracking import resolve_tracking_uri

    root = tmp_path_factory.mktemp("nbroot")
    cfg, out = compose_job(root, ["figures=true"], job="default")
    first = run(cfg, out)
    kmeans = ["topic_model/clustering=kmeans", "figures=false"]
    cfg_k, out_k = compose_job(root, kmeans, job="kmeans")
    second = run(cfg_k, out_k)
    mlflow.set_tracking_uri(None)
    assert first.run_id and second.run_id
    return Runs(root, resolve_tracking_uri(cfg), first.run_id, second.run_id)


@pytest.fixture
def explore_cache(tmp_path, monkeypatch) -> Path:
    """Download run artifacts into this test's folder (not the system temp folder)."""
    cache = tmp_path / "explore-cache"
    monkeypatch.setenv("TOPICS_EXPLORE_CACHE", str(cache))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return cache


@pytest.fixture
def kernel_name(tmp_path, monkeypatch, explore_cache) -> str:
    """A kernelspec for this interpreter in tmp_path; Jupyter's own folders in tmp_path too.

    Works on a machine where only the virtualenv exists (no system-wide Jupyter).
    """
    from ipykernel.kernelspec import install

    jupyter = tmp_path / "jupyter"
    install(prefix=str(jupyter), kernel_name=KERNEL, display_name="topics tests")
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter / "share" / "jupyter"))
    for var, sub in [
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("IPYTHONDIR", "ipython"),
        ("MPLCONFIGDIR", "mpl"),
    ]:
        monkeypatch.setenv(var, str(jupyter / sub))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", os.environ.get("HF_HUB_OFFLINE", "1"))
    return KERNEL

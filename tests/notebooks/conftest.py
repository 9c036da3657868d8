"""Fixtures of the notebook tests: a Jupyter kernel inside tmp_path (the runs: ``tests/conftest.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
KERNEL = "topics-nbtest"


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

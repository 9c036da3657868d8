"""Shared fixtures: offline model settings and the real seed corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from topics.reproducibility import pin_cpu_targets  # noqa: E402

# NumPy/OpenBLAS kernels capped at AVX2 and numba compiled for a generic x86-64 CPU, as in
# `topics-run`: tests that fit UMAP then give the same result on any machine (before any test
# module imports numpy or umap)
pin_cpu_targets()

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TOPICS_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def seed_documents():
    """The five seed articles as Documents (read through the manifest)."""
    from topics.data.seeds import read_manifest_corpus

    return list(read_manifest_corpus())


@pytest.fixture(scope="session")
def thucnews_dir() -> Path:
    """The shared THUCNews folder; tests that need it skip with a message when it is absent."""
    if not (SHARED_DATA / "thucnews_train.txt").is_file():
        pytest.skip(f"THUCNews not found in {SHARED_DATA} (set TOPICS_SHARED_DATA to its folder)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolate_global_state():
    """Undo process-wide state a test may leave: MLflow's tracking URI (which MLflow also writes
    to the environment), values kept for a multirun's next job and Hydra's global config, so
    that tests do not depend on their order."""
    saved = os.environ.get("MLFLOW_TRACKING_URI")
    yield
    if "mlflow" in __import__("sys").modules:
        import mlflow

        if mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.set_tracking_uri(None)
    if saved is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = saved
    if "topics.shared" in __import__("sys").modules:
        from topics import shared

        shared.forget()  # values kept for the next job of a multirun
    if "hydra" in __import__("sys").modules:
        from hydra.core.global_hydra import GlobalHydra
        from hydra.core.hydra_config import HydraConfig

        HydraConfig.instance().cfg = None
        GlobalHydra.instance().clear()


@pytest.fixture(scope="session", autouse=True)
def _tests_write_nothing_into_the_checkout():
    """Fail the session if a test left an MLflow store or outputs in the repository itself."""
    watched = [REPO / "mlruns", REPO / "outputs", REPO / "mlflow.db"]
    before = {p for p in watched if p.exists()}
    yield
    created = [str(p) for p in watched if p.exists() and p not in before]
    assert not created, f"tests wrote into the checkout (use tmp_path): {created}"

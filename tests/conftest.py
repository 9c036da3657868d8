"""Shared fixtures: offline model settings and the real seed corpus."""

from __future__ import annotations

import os
from dataclasses import dataclass
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

from topics.compute.ray_backend import keep_builtin_print  # noqa: E402

# tests that start Ray in this process would otherwise leave `print` replaced for the tests after
# them, and numba could no longer compile NN-descent (src/topics/compute/ray_backend.py)
keep_builtin_print()

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


@dataclass
class Runs:
    """Two finished runs in one SQLite store: the default job (with figures) and k-means."""

    root: Path
    tracking_uri: str
    default_id: str
    kmeans_id: str


@pytest.fixture(scope="session")
def runs(tmp_path_factory) -> Runs:
    """Run the default job (figures on) and a k-means job on the seeds into one store.

    Both tag themes with ``keywords`` whatever the default (an embedding stack costs two fits,
    ~2 minutes a job): what these tests read is the logged run and its theme pipeline.
    ``tests/pipeline/test_run_seeds.py`` runs the default classifier. Shared by the notebook
    tests and ``tests/pipeline/test_serving.py`` (which serves the first run's theme model);
    nothing may add runs to this store.
    """
    import mlflow

    from jobcfg import compose_job
    from topics.runner import run
    from topics.tracking import resolve_tracking_uri

    root = tmp_path_factory.mktemp("nbroot")
    cfg, out = compose_job(root, ["figures=true", "classifier=keywords"], job="default")
    first = run(cfg, out)
    kmeans = ["topic_model/clustering=kmeans", "figures=false", "classifier=keywords"]
    cfg_k, out_k = compose_job(root, kmeans, job="kmeans")
    second = run(cfg_k, out_k)
    mlflow.set_tracking_uri(None)
    assert first.run_id and second.run_id
    return Runs(root, resolve_tracking_uri(cfg), first.run_id, second.run_id)

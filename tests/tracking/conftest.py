"""Shared fixtures: one real SQLite MLflow store per session, a config pointing at it."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from omegaconf import DictConfig, OmegaConf

from topics.config_schema import load_option

REPO = Path(__file__).resolve().parents[2]
TRACKING_CONFIGS = REPO / "configs" / "tracking"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _no_tracking_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests pick their store through the config unless they set the env var themselves."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture(scope="session")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Root folder of a store shared by the session (tests use their own experiments)."""
    return tmp_path_factory.mktemp("store")


@pytest.fixture
def make_cfg(store_root: Path) -> Callable[..., DictConfig]:
    """Build a job config from the real ``configs/tracking/<name>.yaml`` plus extra nodes."""

    def build(tracking: str = "sqlite", root: Path | None = None, **extra: Any) -> DictConfig:
        cfg = OmegaConf.create(
            {
                "experiment_name": "topics-tests",
                "paths": {"root_dir": str(root or store_root)},
                "tracking": load_option("tracking", tracking),
                **extra,
            }
        )
        return cfg

    return build


@pytest.fixture
def experiment(request: pytest.FixtureRequest) -> str:
    """An experiment name unique to the test."""
    return re.sub(r"[^\w.-]", "_", request.node.name)


@pytest.fixture
def client(store_root: Path):
    """A real MLflow client on the session store."""
    from mlflow import MlflowClient

    return MlflowClient(f"sqlite:///{store_root / 'mlruns' / 'mlflow.db'}")


@pytest.fixture
def job_dir(tmp_path: Path) -> Path:
    """A job folder with a Hydra ``.hydra/`` subfolder, as Hydra writes it."""
    folder = tmp_path / "job"
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "config.yaml").write_text("model:\n  k: 3\n", encoding="utf-8")
    (folder / ".hydra" / "overrides.yaml").write_text("- model.k=3\n", encoding="utf-8")
    return folder


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on (right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _artifact_files(client: Any, run_id: str, path: str | None = None) -> set[str]:
    found: set[str] = set()
    for entry in client.list_artifacts(run_id, path):
        if entry.is_dir:
            found |= _artifact_files(client, run_id, entry.path)
        else:
            found.add(entry.path)
    return found


@pytest.fixture
def artifact_files() -> Callable[..., set[str]]:
    """``artifact_files(client, run_id)``: the paths of all artifact files of a run."""
    return _artifact_files

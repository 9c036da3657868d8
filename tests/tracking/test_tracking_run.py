from __future__ import annotations

import os
import time
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from topics.tracking import (
    CORPUS_FINGERPRINT_TAG,
    NullRecorder,
    TrackingUnreachableError,
    tracked_run,
)


def test_run_logs_params_metrics_tags_and_hydra_dir(
    make_cfg, client, job_dir: Path, experiment: str, artifact_files
) -> None:
    cfg = make_cfg(model={"k": 8, "langs": ["zh", "en"], "seed": None, "opt": {"lr": 0.1}})
    params = {f"p{i}": i for i in range(150)}  # more than one batch of 100
    with tracked_run(cfg, job_dir, experiment, run_name="unit") as rec:
        rec.log_metrics({"data/n_units": 42, "time/embedding_s": 1.25})
        rec.log_metrics({"train/loss": 0.5}, step=3)
        rec.log_params(params)
        rec.set_tags({CORPUS_FINGERPRINT_TAG: "sha256:abc"})
        note = job_dir / "note.txt"
        note.write_text("hello", encoding="utf-8")
        rec.log_artifact(note, "notes")

    run = client.get_run(rec.run_id)
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "unit"
    assert run.data.params["model.k"] == "8"
    assert run.data.params["model.langs"] == '["zh", "en"]'
    assert run.data.params["model.seed"] == "null"
    assert run.data.params["model.opt.lr"] == "0.1"
    assert run.data.params["p149"] == "149"
    assert run.data.metrics == {"data/n_units": 42.0, "time/embedding_s": 1.25, "train/loss": 0.5}
    assert client.get_metric_history(rec.run_id, "train/loss")[0].step == 3
    tags = run.data.tags
    assert tags[CORPUS_FINGERPRINT_TAG] == "sha256:abc"
    assert tags["version.mlflow"] == mlflow.__version__
    assert {"git_commit", "git_dirty", "hostname", "version.torch"} <= tags.keys()
    assert "mlflow.parentRunId" not in tags
    assert artifact_files(client, rec.run_id) == {
        "hydra/config.yaml",
        "hydra/overrides.yaml",
        "notes/note.txt",
    }
    experiment_obj = client.get_experiment_by_name(experiment)
    assert experiment_obj.artifact_location.endswith(f"mlruns/artifacts/{experiment}")


def test_body_error_marks_run_failed_and_propagates(
    make_cfg, client, job_dir: Path, experiment: str, artifact_files
) -> None:
    with (
        pytest.raises(ValueError, match="bad corpus"),
        tracked_run(make_cfg(), job_dir, experiment) as rec,
    ):
        rec.log_metrics({"data/n_units": 1})
        raise ValueError("bad corpus")
    run = client.get_run(rec.run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["error"] == "ValueError: bad corpus"
    assert {"error.txt", "hydra/config.yaml"} <= artifact_files(client, rec.run_id)
    local = client.download_artifacts(rec.run_id, "error.txt", str(job_dir))
    text = Path(local).read_text(encoding="utf-8")
    assert "Traceback" in text and "bad corpus" in text
    assert mlflow.active_run() is None


def test_keyboard_interrupt_marks_run_killed(
    make_cfg, client, job_dir: Path, experiment: str
) -> None:
    with pytest.raises(KeyboardInterrupt), tracked_run(make_cfg(), job_dir, experiment) as rec:
        raise KeyboardInterrupt
    run = client.get_run(rec.run_id)
    assert run.info.status == "KILLED"
    assert run.data.tags["error"] == "KeyboardInterrupt"
    assert mlflow.active_run() is None


def test_nested_run_left_open_by_body_is_closed(
    make_cfg, client, job_dir: Path, experiment: str
) -> None:
    with tracked_run(make_cfg(), job_dir, experiment) as rec:
        inner = mlflow.start_run(nested=True, run_name="leaked")
    assert mlflow.active_run() is None
    assert client.get_run(rec.run_id).info.status == "FINISHED"
    inner_run = client.get_run(inner.info.run_id)
    assert inner_run.info.status == "FINISHED"
    assert inner_run.data.tags["mlflow.parentRunId"] == rec.run_id


def test_unreachable_server_fails_before_body(make_cfg, job_dir: Path, free_port: int) -> None:
    cfg = make_cfg("server")
    cfg.tracking.uri = f"http://127.0.0.1:{free_port}"
    ran = False
    start = time.monotonic()
    with (
        pytest.raises(TrackingUnreachableError, match=f"127.0.0.1:{free_port}"),
        tracked_run(cfg, job_dir, "never"),
    ):
        ran = True
    assert not ran
    assert time.monotonic() - start < 10


def test_env_override_sends_run_to_env_store(
    make_cfg, job_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_uri = f"sqlite:///{tmp_path / 'env-store' / 'env.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", env_uri)
    with tracked_run(make_cfg(), job_dir, "from-env") as rec:
        assert mlflow.get_tracking_uri() == env_uri
    assert MlflowClient(env_uri).get_run(rec.run_id).info.status == "FINISHED"
    assert os.environ["MLFLOW_TRACKING_URI"] == env_uri


def test_config_uri_does_not_leak_into_environment(
    make_cfg, job_dir: Path, experiment: str
) -> None:
    with tracked_run(make_cfg(), job_dir, experiment):
        assert os.environ["MLFLOW_TRACKING_URI"].startswith("sqlite:///")
    assert "MLFLOW_TRACKING_URI" not in os.environ


def test_disabled_tracking_yields_null_recorder(
    make_cfg, job_dir: Path, tmp_path: Path, experiment: str
) -> None:
    cfg = make_cfg(root=tmp_path / "unused")
    cfg.tracking.enabled = False
    with tracked_run(cfg, job_dir, experiment) as rec:
        assert isinstance(rec, NullRecorder)
        assert rec.run_id is None
        rec.log_metrics({"data/n_units": 3})
        rec.set_tags({CORPUS_FINGERPRINT_TAG: "x"})
        rec.log_dir(job_dir / ".hydra", "hydra")
        with pytest.raises(TypeError, match="data/name"):
            rec.log_metrics({"data/name": "text"})
        with pytest.raises(FileNotFoundError, match="missing.txt"):
            rec.log_artifact(job_dir / "missing.txt")
    assert not (tmp_path / "unused").exists()

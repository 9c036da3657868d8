from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from omegaconf import DictConfig, OmegaConf

from topics.tracking import PARENT_RUN_FILE, find_parent_run_id, tracked_run
from topics.tracking.callbacks import MlflowSweepCallback

REPO = Path(__file__).resolve().parents[2]


def _sweep_config(make_cfg, sweep_dir: Path, experiment: str) -> DictConfig:
    cfg = make_cfg(
        hydra={
            "mode": "MULTIRUN",
            "sweep": {"dir": str(sweep_dir), "subdir": "${hydra.job.num}"},
            "overrides": {"task": ["model.k=2,4"]},
        }
    )
    cfg.experiment_name = experiment
    return cfg


def _job(sweep_dir: Path, num: int) -> Path:
    job_dir = sweep_dir / str(num)
    (job_dir / ".hydra").mkdir(parents=True)
    (job_dir / ".hydra" / "config.yaml").write_text(f"job: {num}\n", encoding="utf-8")
    return job_dir


def _children(client: MlflowClient, parent) -> list:
    return client.search_runs(
        [parent.info.experiment_id], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'"
    )


def test_multirun_parent_with_children(make_cfg, client, tmp_path: Path, experiment: str) -> None:
    sweep_dir = tmp_path / "multirun" / "2024-01-01" / "12-00-00"
    sweep_cfg = _sweep_config(make_cfg, sweep_dir, experiment)
    callback = MlflowSweepCallback()
    callback.on_multirun_start(sweep_cfg)

    parent_id = find_parent_run_id(sweep_cfg)
    assert parent_id == (sweep_dir / PARENT_RUN_FILE).read_text().strip()
    assert find_parent_run_id(sweep_dir) == parent_id
    assert mlflow.active_run() is None  # the parent is not on the fluent stack
    child_ids = []
    for num, k in enumerate((2, 4)):
        job_cfg = make_cfg(model={"k": k})  # a job's config has no hydra node
        with tracked_run(job_cfg, _job(sweep_dir, num), experiment, run_name=f"k={k}") as rec:
            rec.log_metrics({"model/k": k})
            child_ids.append(rec.run_id)
    assert client.get_run(parent_id).info.status == "RUNNING"
    callback.on_multirun_end(sweep_cfg)

    parent = client.get_run(parent_id)
    assert parent.info.status == "FINISHED"
    assert parent.info.run_name.endswith("sweep 2024-01-01/12-00-00")
    assert parent.data.tags["sweep"] == "true"
    assert parent.data.params["sweep.overrides"] == '["model.k=2,4"]'
    assert parent.data.metrics == {"sweep/n_jobs": 2.0, "sweep/n_failed": 0.0}
    children = _children(client, parent)
    assert sorted(run.info.run_id for run in children) == sorted(child_ids)
    assert {run.info.status for run in children} == {"FINISHED"}


def test_failed_child_fails_parent(make_cfg, client, tmp_path: Path, experiment: str) -> None:
    sweep_dir = tmp_path / "sweep"
    sweep_cfg = _sweep_config(make_cfg, sweep_dir, experiment)
    callback = MlflowSweepCallback()
    callback.on_multirun_start(sweep_cfg)
    with tracked_run(make_cfg(), _job(sweep_dir, 0), experiment):
        pass
    with pytest.raises(RuntimeError), tracked_run(make_cfg(), _job(sweep_dir, 1), experiment):
        raise RuntimeError("job 1 broke")
    callback.on_multirun_end(sweep_cfg)
    parent = client.get_run(find_parent_run_id(sweep_dir))
    assert parent.info.status == "FAILED"
    assert sorted(run.info.status for run in _children(client, parent)) == ["FAILED", "FINISHED"]


def test_stale_marker_of_finished_sweep_is_ignored(
    make_cfg, client, tmp_path: Path, experiment: str
) -> None:
    sweep_dir = tmp_path / "old-sweep"
    sweep_cfg = _sweep_config(make_cfg, sweep_dir, experiment)
    MlflowSweepCallback().on_multirun_start(sweep_cfg)
    MlflowSweepCallback().on_multirun_end(sweep_cfg)  # another instance finds it by the file
    parent_id = find_parent_run_id(sweep_dir)
    assert client.get_run(parent_id).info.status == "FINISHED"
    with tracked_run(make_cfg(), _job(sweep_dir, 7), experiment) as rec:
        pass
    assert "mlflow.parentRunId" not in client.get_run(rec.run_id).data.tags
    MlflowSweepCallback().on_multirun_end(sweep_cfg)  # ending twice changes nothing
    assert client.get_run(parent_id).info.status == "FINISHED"


def test_no_parent_outside_multirun(make_cfg, tmp_path: Path) -> None:
    single = OmegaConf.create({"hydra": {"mode": "RUN", "sweep": {"dir": str(tmp_path)}}})
    (tmp_path / PARENT_RUN_FILE).write_text("abc123\n")
    assert find_parent_run_id(single) is None
    assert find_parent_run_id(make_cfg()) is None
    assert find_parent_run_id(tmp_path) == "abc123"
    (tmp_path / PARENT_RUN_FILE).write_text("not a run id!\n")
    with pytest.raises(ValueError, match=PARENT_RUN_FILE):
        find_parent_run_id(tmp_path)


_APP = """
    import hydra
    from hydra.core.hydra_config import HydraConfig
    from topics.config_schema import register_schemas
    from topics.tracking import tracked_run

    # an app that composes topics' config groups registers their schemas first
    register_schemas()

    @hydra.main(version_base="1.3", config_path=".", config_name="config")
    def main(cfg):
        job_dir = HydraConfig.get().runtime.output_dir
        with tracked_run(cfg, job_dir, cfg.experiment_name) as rec:
            rec.log_metrics({"job/a": cfg.a})
            if cfg.a < 0:
                raise ValueError("negative a")

    if __name__ == "__main__":
        main()
"""

_CONFIG = """
    defaults:
      - tracking: sqlite
      - _self_
    a: 1
    experiment_name: hydra-app
    paths:
      root_dir: ${hydra:runtime.cwd}
    hydra:
      searchpath:
        - file://CONFIGS
      callbacks:
        mlflow_sweep:
          _target_: topics.tracking.callbacks.MlflowSweepCallback
"""


@pytest.mark.slow
def test_real_hydra_multirun(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(_APP), encoding="utf-8")
    config = textwrap.dedent(_CONFIG).replace("CONFIGS", str(REPO / "configs"))
    (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "HF_HUB_OFFLINE": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)

    def sweep(values: str, sweep_name: str) -> subprocess.CompletedProcess:
        args = [sys.executable, "app.py", "-m", f"a={values}", f"hydra.sweep.dir={sweep_name}"]
        return subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True)

    ok = sweep("1,2", "ok")
    assert ok.returncode == 0, ok.stderr
    assert "Callback MlflowSweepCallback" not in ok.stderr  # Hydra turns its errors into warnings
    bad = sweep("3,-1", "bad")  # job 1 fails; Hydra aborts before on_multirun_end
    assert bad.returncode == 1 and "negative a" in bad.stderr

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    for sweep_name, parent_status, child_statuses in [
        ("ok", "FINISHED", ["FINISHED", "FINISHED"]),
        ("bad", "FAILED", ["FAILED", "FINISHED"]),
    ]:
        parent = client.get_run(find_parent_run_id(tmp_path / sweep_name))
        assert parent.info.status == parent_status
        children = _children(client, parent)
        assert sorted(run.info.status for run in children) == child_statuses
        assert all(
            run.data.tags["job_dir"].startswith(str(tmp_path / sweep_name)) for run in children
        )
    [run] = [r for r in _children(client, parent) if r.info.status == "FAILED"]
    assert run.data.tags["error"] == "ValueError: negative a"
    assert run.data.params["a"] == "-1"
    assert {a.path for a in client.list_artifacts(run.info.run_id, "hydra")} >= {
        "hydra/config.yaml",
        "hydra/overrides.yaml",
    }

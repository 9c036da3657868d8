from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from mlflow import MlflowClient

REPO = Path(__file__).resolve().parents[2]

_WORKER = """
    import sys
    from pathlib import Path
    from omegaconf import OmegaConf
    from topics.tracking import tracked_run

    worker, root = sys.argv[1], Path(sys.argv[2])
    tracking = OmegaConf.load(sys.argv[3])
    cfg = OmegaConf.create(
        {"experiment_name": "shared", "paths": {"root_dir": str(root)}, "tracking": tracking}
    )
    for i in range(3):
        job_dir = root / "jobs" / f"w{worker}-{i}"
        (job_dir / ".hydra").mkdir(parents=True)
        (job_dir / ".hydra" / "config.yaml").write_text(f"i: {i}\\n")
        with tracked_run(cfg, job_dir, cfg.experiment_name, run_name=f"w{worker}-{i}") as rec:
            rec.log_metrics({"job/worker": int(worker), "job/i": i})
            for step in range(5):
                rec.log_metrics({"train/loss": 1.0 / (step + 1)}, step=step)
"""


@pytest.mark.slow
def test_two_processes_share_one_sqlite_store(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(_WORKER), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    env.pop("MLFLOW_TRACKING_URI", None)
    config = REPO / "configs" / "tracking" / "sqlite.yaml"
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), str(n), str(tmp_path), str(config)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("shared")
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    assert sorted(run.info.run_name for run in runs) == [
        f"w{w}-{i}" for w in (1, 2) for i in range(3)
    ]
    for run in runs:
        worker, i = run.info.run_name[1:].split("-")
        assert run.info.status == "FINISHED"
        assert run.data.metrics["job/worker"] == int(worker)
        assert run.data.metrics["job/i"] == int(i)
        history = client.get_metric_history(run.info.run_id, "train/loss")
        assert [m.step for m in sorted(history, key=lambda m: m.step)] == list(range(5))
        assert [a.path for a in client.list_artifacts(run.info.run_id, "hydra")] == [
            "hydra/config.yaml"
        ]

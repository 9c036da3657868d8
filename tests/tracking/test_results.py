"""``topics-results`` picks the runs it tabulates: a sweep's children, else the latest run."""

from __future__ import annotations

from mlflow import MlflowClient

from topics.results import latest_sweep_runs


def _finished_run(client: MlflowClient, exp_id: str, start: int, value: float, **tags: str) -> str:
    run = client.create_run(exp_id, start_time=start, tags=tags)
    client.log_metric(run.info.run_id, "topics/nmi", value)
    client.set_terminated(run.info.run_id, "FINISHED", end_time=start + 1)
    return run.info.run_id


def test_without_a_sweep_the_latest_finished_run_is_tabulated(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    exp_id = client.create_experiment("exp", artifact_location=str(tmp_path / "artifacts"))
    _finished_run(client, exp_id, 1_000, 0.1)
    newest = _finished_run(client, exp_id, 2_000, 0.2)
    runs = latest_sweep_runs("exp", uri)
    assert runs.run_id.tolist() == [newest]
    assert runs["metrics.topics/nmi"].tolist() == [0.2]


def test_a_sweep_tabulates_its_children_in_launch_order(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    exp_id = client.create_experiment("exp", artifact_location=str(tmp_path / "artifacts"))
    _finished_run(client, exp_id, 500, 0.0)  # an older single run, not part of the sweep
    parent = client.create_run(exp_id, start_time=1_000, tags={"sweep": "true"}).info.run_id
    children = [
        _finished_run(client, exp_id, 1_000 + i, i / 10, **{"mlflow.parentRunId": parent})
        for i in (1, 2)
    ]
    assert latest_sweep_runs("exp", uri).run_id.tolist() == children

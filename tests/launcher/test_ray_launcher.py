"""`hydra/launcher=ray_cluster`: real sweeps through hydra-ray-launcher on a real Ray.

Each sweep is `topics-run -m` in a subprocess with its own SQLite MLflow store under tmp_path:
one parent run (MlflowSweepCallback, in the driver) and one child run per job, each job a task
in a Ray worker process.
"""

from __future__ import annotations

from pathlib import Path
from subprocess import CompletedProcess

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf
from ray_sweeps import QUICK, base_env, job_dirs, report, run_sweep, sweep_runs

from topics.paths import config_dir

CLUSTERINGS = {"hdbscan", "kmeans"}
RAY_LAUNCHER = "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher"


def _launcher_node(root: Path):
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=["hydra/launcher=ray_cluster", f"paths.root_dir={root}"],
            return_hydra_config=True,
        )
    return cfg, cfg.hydra.launcher


def test_launcher_config_builds_the_plugins_ray_launcher(tmp_path, monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("TOPICS_CACHE_DIR", str(tmp_path / "cache"))
    cfg, node = _launcher_node(tmp_path)
    assert node._target_ == RAY_LAUNCHER
    init = OmegaConf.to_container(node.ray.init, resolve=True)
    assert init["address"] == "local"  # a private instance, never a stray local cluster
    env = init["runtime_env"]["env_vars"]
    assert all(isinstance(value, str) for value in env.values()), env  # Ray wants strings
    assert env["TOPICS_ROOT"] == str(tmp_path)
    assert env["TOPICS_CACHE_DIR"] == str(tmp_path / "cache")
    assert env["TOPICS_SHARED_DATA"] == cfg.paths.shared_data_dir
    assert env["MLFLOW_TRACKING_URI"] == ""  # empty: jobs use the config's tracking store
    assert env["HF_HUB_OFFLINE"] == "1"
    assert OmegaConf.to_container(node.ray.remote) == {
        "num_cpus": 1,
        "max_calls": 1,
        "max_retries": 0,
    }
    # the plugin adds a 75 MB object store unless the key is there; Ray refuses any value
    # when joining a cluster, so the config keeps it (null)
    launcher = instantiate(node)
    assert type(launcher).__name__ == "RayLauncher"
    assert launcher.ray_cfg.init.setdefault("object_store_memory", 78643200) is None


def test_launcher_config_takes_the_cluster_and_store_from_the_driver_env(tmp_path, monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "10.1.2.3:6379")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://10.1.2.3:5000")
    _, node = _launcher_node(tmp_path)
    init = OmegaConf.to_container(node.ray.init, resolve=True)
    assert init["address"] == "10.1.2.3:6379"
    assert init["num_cpus"] is None and init["object_store_memory"] is None
    assert init["runtime_env"]["env_vars"]["MLFLOW_TRACKING_URI"] == "http://10.1.2.3:5000"


def assert_clustering_sweep(root: Path, proc: CompletedProcess[str]) -> None:
    """One FINISHED parent, two FINISHED children (hdbscan, kmeans) run by Ray workers."""
    assert "(_run_job pid=" in proc.stdout, report(proc)  # job output relayed from Ray workers
    runs = sweep_runs(root)
    assert runs.parent.info.status == "FINISHED"
    assert runs.parent.data.metrics["sweep/n_jobs"] == 2
    assert len(runs.children) == 2
    names = set()
    for child in runs.children:
        tags, params = child.data.tags, child.data.params
        assert child.info.status == "FINISHED"
        assert tags["mlflow.parentRunId"] == runs.parent.info.run_id
        assert "ray" in Path(tags["mlflow.source.name"]).parts  # a Ray worker, not the driver
        assert child.data.metrics["topics/n_topics"] >= 1
        assert child.data.metrics["data/n_units"] > 0
        name = params["topic_model.clustering.name"]
        names.add(name)
        job_dir = Path(tags["job_dir"])
        overrides = OmegaConf.load(job_dir / ".hydra" / "overrides.yaml")
        assert f"topic_model/clustering={name}" in overrides
        assert (job_dir / ".hydra" / "config.yaml").is_file()
        assert (job_dir / "topics" / "topics.csv").is_file()
    assert names == CLUSTERINGS
    assert [d.name for d in job_dirs(root)] == ["0", "1"]


@pytest.mark.slow
def test_sweep_runs_on_a_private_local_ray_instance(tmp_path, ray_temp_dir):
    overrides = [
        *QUICK,
        "topic_model/clustering=hdbscan,kmeans",
        f"hydra.launcher.ray.init._temp_dir={ray_temp_dir}",
        "hydra.launcher.ray.init.num_cpus=2",
    ]
    proc = run_sweep(tmp_path, base_env(tmp_path / "cache"), overrides)
    assert proc.returncode == 0, report(proc)
    assert "Started a local Ray instance" in proc.stderr
    assert_clustering_sweep(tmp_path, proc)
    assert any(path.is_file() for path in (tmp_path / "cache").rglob("*"))  # TOPICS_CACHE_DIR


@pytest.mark.slow
def test_sweep_joins_a_running_ray_cluster(tmp_path, ray_cluster):
    env = {**base_env(tmp_path / "cache"), "RAY_ADDRESS": ray_cluster.head.address}
    proc = run_sweep(tmp_path, env, [*QUICK, "topic_model/clustering=hdbscan,kmeans"])
    assert proc.returncode == 0, report(proc)
    assert "Connecting to existing Ray cluster" in proc.stderr
    assert "Started a local Ray instance" not in proc.stderr
    assert_clustering_sweep(tmp_path, proc)
    # the jobs used the driver's cache dir and store, not those the node's shell exported
    assert any(path.is_file() for path in (tmp_path / "cache").rglob("*"))
    for decoy in ("node_root", "node_cache", "node_mlflow.db"):
        assert not (ray_cluster.decoys / decoy).exists(), decoy


@pytest.mark.slow
def test_failing_job_fails_its_run_the_parent_and_the_sweep(tmp_path, ray_cluster):
    missing = tmp_path / "no_such_corpus"
    env = {**base_env(tmp_path / "cache"), "RAY_ADDRESS": ray_cluster.head.address}
    overrides = ["debug=fast", f"data.path=null,{missing}", "stages=[data,preprocess]"]
    proc = run_sweep(tmp_path, env, overrides)
    assert proc.returncode != 0, report(proc)
    assert "no manifest" in proc.stderr, report(proc)
    runs = sweep_runs(tmp_path)
    by_path = {child.data.params["data.path"]: child for child in runs.children}
    assert set(by_path) == {"null", str(missing)}
    assert by_path["null"].info.status == "FINISHED"
    failed = by_path[str(missing)]
    assert failed.info.status == "FAILED"
    assert "manifest" in failed.data.tags["error"]
    assert runs.parent.info.status == "FAILED"
    assert runs.parent.data.metrics["sweep/n_failed"] == 1

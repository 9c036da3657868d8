"""Helpers of the Ray launcher tests: run `topics-run -m` sweeps, start and stop a Ray head,
read the sweep back from MLflow. Imported as a plain module (not a conftest).

Every Ray process a test starts lives in a process session of its own (``start_new_session``),
so teardown ends exactly those processes by id: `ray stop` would end every Ray process of the
user on this machine, other sessions' included.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from mlflow import MlflowClient
from mlflow.entities import Run

BIN = Path(sys.executable).parent
TOPICS_RUN = BIN / "topics-run"
RAY = BIN / "ray"
LAUNCHER = "hydra/launcher=ray_cluster"
# the cheapest real pipeline that still fits topics: TF-IDF vectors, PCA, no theme classifier
QUICK = [
    "debug=fast",
    "embedding=tfidf_svd",
    "topic_model/reduction=pca",
    "stages=[data,preprocess,embedding,topic_model]",
]
# variables a developer's shell may hold that would steer a test's sweep elsewhere
_OUTER_VARS = ("RAY_ADDRESS", "MLFLOW_TRACKING_URI", "TOPICS_ROOT", "TOPICS_SHARED_DATA")


def free_port() -> int:
    """Return a TCP port on the loopback interface that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(cache_dir: Path) -> dict[str, str]:
    """Environment of a test's processes: offline, no Ray token file in ~, caches in the test."""
    env = {k: v for k, v in os.environ.items() if k not in _OUTER_VARS}
    env.update(
        {
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            # Ray 2.60's ray.init() would otherwise turn on token auth and write ~/.ray/auth_token
            "RAY_AUTH_MODE": "disabled",
            "RAY_USAGE_STATS_ENABLED": "0",
            "TOPICS_CACHE_DIR": str(cache_dir),
            "CI": "true",
        }
    )
    return env


def session_processes(sid: int) -> list[psutil.Process]:
    """Return the live processes of the process session ``sid`` (one a test started)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if os.getsid(proc.pid) == sid and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue
    return found


def wait_session_gone(sid: int, timeout_s: float) -> list[psutil.Process]:
    """Wait until session ``sid`` has no process left; return those still alive at the end."""
    deadline = time.monotonic() + timeout_s
    alive = session_processes(sid)
    while alive and time.monotonic() < deadline:
        time.sleep(0.5)
        alive = session_processes(sid)
    return alive


def kill_session(sid: int) -> None:
    """SIGKILL every process left in session ``sid``, one by one by pid."""
    for proc in session_processes(sid):
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(session_processes(sid), timeout=10)


def run_sweep(
    root: Path, env: dict[str, str], overrides: list[str], timeout_s: int = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``topics-run -m hydra/launcher=ray_cluster ...`` rooted in ``root``; reap its Ray."""
    cmd = [str(TOPICS_RUN), "-m", LAUNCHER, f"paths.root_dir={root}", *overrides]
    proc = subprocess.Popen(
        cmd,
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
    finally:
        # a local Ray instance ends with its driver; anything left is ended here
        if proc.poll() is None:
            proc.kill()
            out, err = proc.communicate()
        leftovers = wait_session_gone(proc.pid, timeout_s=15)
        kill_session(proc.pid)
    completed = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    assert not leftovers, f"Ray processes outlived the sweep: {[p.pid for p in leftovers]}"
    return completed


def report(proc: subprocess.CompletedProcess[str]) -> str:
    """The tail of a sweep's output, for assertion messages."""
    return f"rc={proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-5000:]}"


@dataclass(frozen=True)
class SweepRuns:
    """The runs of one sweep: its parent and the parent's children."""

    parent: Run
    children: list[Run]


def sweep_runs(root: Path, experiment: str = "topics-seeds") -> SweepRuns:
    """Read the only sweep of ``experiment`` from the SQLite store under ``root``."""
    client = MlflowClient(f"sqlite:///{root}/mlruns/mlflow.db")
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None, f"no experiment {experiment!r} in {root}/mlruns"
    runs = client.search_runs([exp.experiment_id])
    parents = [r for r in runs if r.data.tags.get("sweep") == "true"]
    assert len(parents) == 1, [r.info.run_id for r in parents]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(children) + 1 == len(runs), "runs outside the sweep"
    return SweepRuns(parents[0], children)


def job_dirs(root: Path) -> list[Path]:
    """The job folders of the only sweep under ``root``."""
    (sweep_dir,) = (root / "outputs" / "multiruns").iterdir()
    return sorted(p for p in sweep_dir.iterdir() if p.is_dir())


@dataclass
class RayHead:
    """A Ray head node started with ``ray start --head --block`` in its own process session."""

    address: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """SIGTERM the blocking ``ray start`` (it ends its daemons), then reap the session."""
        sid = self.process.pid
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        wait_session_gone(sid, timeout_s=15)
        kill_session(sid)


def start_head(temp_dir: Path, cwd: Path, env: dict[str, str], num_cpus: int = 2) -> RayHead:
    """Start a Ray head on loopback with free ports; return once it accepts drivers."""
    port = free_port()
    log = cwd / "ray_head.log"
    cmd = [
        str(RAY),
        "start",
        "--head",
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--port={port}",
        f"--num-cpus={num_cpus}",
        "--include-dashboard=false",
        f"--dashboard-agent-listen-port={free_port()}",
        f"--ray-client-server-port={free_port()}",
        f"--temp-dir={temp_dir}",
        "--disable-usage-stats",
    ]
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    head = RayHead(f"127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if "Ray runtime started" in text:
            return head
        if process.poll() is not None:
            break
        time.sleep(0.5)
    head.stop()
    raise RuntimeError(f"ray start --head did not come up:\n{log.read_text(errors='replace')}")

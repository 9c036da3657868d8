"""build_compute, configs/compute/*.yaml, the local backend, and Ray errors that need no cluster."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from jobcfg import compose_job
from topics.compute import (
    ChunkError,
    ComputeError,
    Constant,
    LocalCompute,
    build_compute,
    chunked,
)
from topics.compute.ray_backend import RayCompute, driver_paths
from topics.data.types import InputError

SRC = str(Path(__file__).resolve().parents[2] / "src")


def closed_port() -> int:
    """A local TCP port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_default_config_is_local(tmp_path):
    cfg, _ = compose_job(tmp_path)
    compute = build_compute(cfg.compute)
    assert isinstance(compute, LocalCompute)
    assert (compute.name, compute.chunk_size) == ("local", 4096)
    assert isinstance(build_compute(None), LocalCompute)


def test_ray_config_composes_into_a_lazy_ray_backend(tmp_path, monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    cfg, _ = compose_job(tmp_path, ["compute=ray", "compute.num_workers=3"])
    compute = build_compute(cfg.compute)
    assert isinstance(compute, RayCompute) and compute.name == "ray"
    assert compute.address is None and compute.num_cpus is None
    assert (compute.num_workers, compute.num_cpus_per_worker) == (3, 1)
    assert compute.chunk_size == 1024 and compute.runtime_env is None
    monkeypatch.setenv("RAY_ADDRESS", "ray://head.example:10001")
    cfg, _ = compose_job(tmp_path, ["compute=ray"])
    assert build_compute(cfg.compute).address == "ray://head.example:10001"


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"backend": "dask"}, "compute.backend"),
        ({"name": "local"}, "compute.backend"),
        ({"backend": "local", "num_workers": 2}, "num_workers"),
        ({"backend": "ray", "num_worker": 2}, "num_worker"),
        ({"backend": "ray", "num_workers": 0}, "compute.num_workers"),
        ({"backend": "ray", "num_cpus_per_worker": 1.5}, "compute.num_cpus_per_worker"),
        ({"backend": "ray", "num_cpus": True}, "compute.num_cpus"),
        ({"backend": "ray", "chunk_size": "big"}, "compute.chunk_size"),
        ({"backend": "ray", "runtime_env": ["env_vars"]}, "compute.runtime_env"),
        ({"backend": "ray", "address": ""}, "compute.address"),
        ({"backend": "local", "chunk_size": -1}, "compute.chunk_size"),
    ],
)
def test_bad_configs_raise_clear_errors(cfg, message):
    with pytest.raises(InputError, match=message):
        build_compute(cfg)


def test_chunked_covers_the_sequence_in_order():
    assert chunked(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert chunked("abcd", 4) == ["abcd"] and chunked([], 5) == []
    with pytest.raises(ValueError, match="positive integer"):
        chunked([1], 0)


def test_local_backend_sets_up_once_and_keeps_order():
    calls: list[str] = []

    def setup() -> dict[str, int]:
        calls.append("setup")
        return {"offset": 100}

    with LocalCompute(chunk_size=2) as compute:
        parts = chunked(list(range(9)), compute.chunk_size)
        out = list(
            compute.map_chunks(setup, lambda s, part: [s["offset"] + x for x in part], parts)
        )
        assert list(compute.map_chunks(setup, lambda s, part: part, [])) == []
    assert out == [[100, 101], [102, 103], [104, 105], [106, 107], [108]]
    assert calls == ["setup"]
    assert Constant([1, 2])() == [1, 2]


def test_local_backend_raises_the_original_error():
    def fn(state: int, item: int) -> int:
        if item == 3:
            raise KeyError("item 3")
        return state + item

    results = LocalCompute().map_chunks(Constant(10), fn, [1, 2, 3, 4])
    assert next(results) == 11 and next(results) == 12
    with pytest.raises(KeyError, match="item 3"):
        next(results)
    assert not issubclass(KeyError, ChunkError)


def test_missing_ray_package_says_how_to_install():
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {SRC!r})
        sys.modules["ray"] = None  # what Python does for a package that is not installed
        from topics.compute import ComputeError, build_compute
        try:
            build_compute({{"backend": "ray"}})
        except ComputeError as exc:
            print(exc)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'topics[ray]'" in proc.stdout and "compute=local" in proc.stdout


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_unreachable_address_fails_fast_naming_the_key(scheme):
    address = f"{scheme}127.0.0.1:{closed_port()}"
    compute = RayCompute(address=address)
    began = time.monotonic()
    with pytest.raises(ComputeError, match=r"compute\.address=.*cannot reach") as info:
        list(compute.map_chunks(Constant(0), lambda s, x: x, [1]))
    assert time.monotonic() - began < 30
    assert address in str(info.value) and "ray start --head" in str(info.value)
    compute.close()


def running_ray_clusters() -> list[str]:
    """Command lines of Ray GCS servers on this machine (what ``address: auto`` would find)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] == "gcs_server" or "gcs_server" in " ".join(
            proc.info["cmdline"] or []
        ):
            found.append(" ".join(proc.info["cmdline"] or []))
    return found


def test_auto_address_without_a_cluster_fails_naming_the_key(monkeypatch):
    if running_ray_clusters():
        pytest.skip("a Ray instance runs on this machine; `address: auto` would join it")
    import ray

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert not ray.is_initialized()
    compute = RayCompute(address="auto")
    began = time.monotonic()
    try:
        with pytest.raises(ComputeError, match=r"compute\.address='auto': could not join"):
            compute.start()
    finally:
        compute.close()
    assert time.monotonic() - began < 30 and not ray.is_initialized()


def test_local_instance_workers_get_driver_path_and_offline_settings(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TOPICS_CACHE_DIR", "/somewhere/cache")
    paths = driver_paths()
    assert str(Path(SRC).resolve()) in paths and str(Path(__file__).parent) in paths
    assert not any(p.startswith(str(Path(sys.prefix).resolve())) for p in paths)
    local = RayCompute(runtime_env={"env_vars": {"HF_HUB_OFFLINE": "0", "X": "y"}})
    env = local.worker_runtime_env()["env_vars"]
    assert env["PYTHONPATH"].split(":") == paths
    assert (env["HF_HUB_OFFLINE"], env["X"], env["TOPICS_CACHE_DIR"]) == (
        "0",
        "y",
        "/somewhere/cache",
    )
    cluster = RayCompute(address="auto", runtime_env={"working_dir": "."})
    assert cluster.worker_runtime_env() == {"working_dir": "."}
    assert RayCompute(address="auto").worker_runtime_env() is None

"""The Ray backend on a real local Ray instance (2 CPUs, started once for the module)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path

import pytest

from topics.compute import ChunkError, Constant
from topics.compute.ray_backend import RayCompute

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_compute():
    ray = pytest.importorskip("ray")
    temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    compute = RayCompute(num_cpus=2, num_workers=2, num_cpus_per_worker=1, temp_dir=temp_dir)
    yield compute
    compute.close()
    # the local instance stays up for later users in this process (it stops at exit)
    assert ray.is_initialized()
    atexit.register(shutil.rmtree, temp_dir, True)


# Module-level functions: the workers import them from this module by name.
def record_setup(folder: Path, tag: str) -> tuple[int, str]:
    """Leave one file per call, named by the worker's pid, and return (pid, tag)."""
    (folder / f"{tag}-{os.getpid()}-{uuid.uuid4().hex}").touch()
    return os.getpid(), tag


def square_slowly(state: tuple[int, str], item: int) -> tuple[int, str, int]:
    """Square ``item``; every fifth item takes longer, so results end out of order."""
    time.sleep(0.3 if item % 5 == 0 else 0.01)
    pid, tag = state
    return pid, tag, item * item


def fail_on_seven(state: int, item: int) -> int:
    if item == 7:
        raise ValueError(f"cannot take item {item}")
    return state + item


def broken_setup() -> int:
    raise FileNotFoundError("model folder /nowhere/m3e is missing")


def worker_facts(state: int, item: int) -> dict[str, object]:
    import torch

    return {
        "offline": os.environ.get("HF_HUB_OFFLINE"),
        "threads": torch.get_num_threads(),
        "pid": os.getpid(),
        "item": item + state,
    }


def import_torch() -> int:
    import torch  # noqa: F401

    return 0


def setup_files(folder: Path, tag: str) -> list[int]:
    return sorted(int(p.name.split("-")[1]) for p in folder.glob(f"{tag}-*"))


def test_results_in_order_with_setup_once_per_worker(ray_compute, tmp_path):
    items = list(range(23))
    results = list(
        ray_compute.map_chunks(partial(record_setup, tmp_path, "a"), square_slowly, items)
    )
    assert [r[2] for r in results] == [i * i for i in items]
    pids = setup_files(tmp_path, "a")
    assert len(pids) == 2 and len(set(pids)) == 2, "one setup per worker, two workers"
    assert {r[0] for r in results} == set(pids) and {r[1] for r in results} == {"a"}

    # each call has its own workers, each building that call's state once
    again = list(ray_compute.map_chunks(partial(record_setup, tmp_path, "b"), square_slowly, items))
    assert [r[1:] for r in again] == [("b", i * i) for i in items]
    assert len(set(setup_files(tmp_path, "b"))) == 2 and {r[0] for r in again}.isdisjoint(pids)
    assert (
        list(ray_compute.map_chunks(partial(record_setup, tmp_path, "c"), square_slowly, [])) == []
    )
    assert setup_files(tmp_path, "c") == []


def test_worker_error_names_the_chunk_and_the_original_error(ray_compute):
    with pytest.raises(ChunkError) as info:
        list(ray_compute.map_chunks(Constant(100), fail_on_seven, list(range(12))))
    err = info.value
    assert (err.index, err.n_items) == (7, 12)
    assert "chunk 7 (of 12)" in str(err) and "ValueError: cannot take item 7" in str(err)
    assert isinstance(err.__cause__, ValueError) and "fail_on_seven" in str(err)
    # the failed call's workers are gone; the backend still works
    assert list(ray_compute.map_chunks(Constant(100), fail_on_seven, [1, 2])) == [101, 102]


def test_setup_error_is_reported_with_its_message(ray_compute):
    # both workers fail; whichever chunk fails first is reported
    with pytest.raises(
        ChunkError, match=r"chunk [01] .*setup\(\) failed.*FileNotFoundError"
    ) as info:
        list(ray_compute.map_chunks(broken_setup, fail_on_seven, [1, 2, 3]))
    assert "/nowhere/m3e is missing" in str(info.value)


def test_workers_are_offline_single_threaded_and_abandoned_calls_clean_up(ray_compute):
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    results = ray_compute.map_chunks(import_torch, worker_facts, list(range(6)))
    first = next(results)
    assert first == {"offline": "1", "threads": 1, "pid": first["pid"], "item": 0}
    results.close()  # abandoned after one result: its workers are removed
    facts = list(ray_compute.map_chunks(import_torch, worker_facts, [5]))
    assert facts[0]["item"] == 5 and facts[0]["pid"] != first["pid"]


def test_close_leaves_a_ray_it_did_not_start(ray_compute):
    import ray

    assert list(ray_compute.map_chunks(Constant(1), fail_on_seven, [1])) == [2]
    guest = RayCompute(num_workers=1, chunk_size=8)
    with guest:
        assert list(guest.map_chunks(Constant(0), fail_on_seven, [4, 5, 6])) == [4, 5, 6]
    assert ray.is_initialized()


def test_a_later_backend_reuses_the_local_instance(ray_compute):
    """A second local Ray session in one process would reuse the first one's ids and its actors
    would never start; so close() keeps the instance and the next backend joins it."""
    import ray

    assert list(ray_compute.map_chunks(Constant(1), fail_on_seven, [1, 2])) == [2, 3]
    ray_compute.close()
    assert ray.is_initialized()
    later = RayCompute(num_workers=2, chunk_size=4)
    try:
        assert list(later.map_chunks(Constant(0), fail_on_seven, list(range(6)))) == list(range(6))
    finally:
        later.close()
    assert ray.is_initialized()


_PRINT_CHECK = """
import builtins, os, sys
if sys.argv[1] == "keep":
    from topics.compute.ray_backend import keep_builtin_print
    keep_builtin_print()
from ray.experimental import tqdm_ray
original = builtins.print
tqdm_ray.instance()  # what a Ray driver calls when it shows its workers' output
sys.stdout.write(str(builtins.print is original))
"""


@pytest.mark.parametrize(("mode", "kept"), [("upstream", "False"), ("keep", "True")])
def test_ray_driver_keeps_the_builtin_print_numba_needs(mode, kept):
    """Ray swaps ``builtins.print`` in its driver unless RAY_TQDM_PATCH_PRINT=0 (upstream
    behaviour, checked in a fresh process); ``keep_builtin_print`` sets it. If the first case
    fails, Ray no longer patches print and ``keep_builtin_print`` can go."""
    import subprocess
    import sys

    pytest.importorskip("ray")
    env = {k: v for k, v in os.environ.items() if k != "RAY_TQDM_PATCH_PRINT"}
    out = subprocess.run(
        [sys.executable, "-c", _PRINT_CHECK, mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip().endswith(kept), out.stderr[-2000:]

"""The Ray backend: chunks go to a pool of Ray actors, each with its own ``setup()`` state.

With ``address`` null a Ray instance is started on this machine (``num_cpus`` CPUs); its workers
get the driver's ``sys.path`` (as ``PYTHONPATH``) and offline settings (``HF_HUB_OFFLINE``,
``TRANSFORMERS_OFFLINE``, ...), so ``topics`` and test modules import there. With an address
(``auto``, ``host:port`` or ``ray://host:port``) the backend joins that cluster; its nodes need
``topics`` installed, or a ``runtime_env`` (``working_dir`` / ``py_modules`` / ``pip``) that
brings it. Only what this backend started is shut down by ``close()``.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import socket
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import ModuleType
from typing import Any

from topics.compute.base import (
    DEFAULT_CHUNK_SIZE,
    ChunkError,
    ClosingMixin,
    ComputeError,
    R,
    S,
    T,
    WorkerSetupError,
    check_optional_str,
    check_positive_int,
)
from topics.data.types import InputError

log = logging.getLogger(__name__)

#: Environment variables a local Ray instance's workers get from the driver (when set).
INHERITED_ENV = (
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HOME",
    "HF_HUB_CACHE",
    "SENTENCE_TRANSFORMERS_HOME",
    "TOKENIZERS_PARALLELISM",
)
#: Seconds to wait for a TCP connection to ``compute.address`` before giving up.
CONNECT_TIMEOUT_S = 10.0
#: Chunks queued on one actor at a time (the next is ready when the current one ends).
QUEUE_PER_WORKER = 2
#: Chunks submitted but not yet yielded, per worker (bounds the results held out of order).
WINDOW_PER_WORKER = 4
_UNSET = object()
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def keep_builtin_print() -> None:
    """Stop Ray's driver from replacing ``builtins.print`` (call before Ray starts).

    When a Ray driver shows its workers' output, ``ray.experimental.tqdm_ray`` swaps
    ``builtins.print`` for its own function, for the rest of the process. numba can only
    compile ``print`` when it is the builtin, and numba's ``get_num_threads``, which
    pynndescent's NN-descent calls, contains one: every later UMAP that finds neighbours by
    NN-descent (4,096 units or more, or ``force_approximation_algorithm``) then fails with a
    ``TypingError`` in a process whose numba cache does not hold that code yet (a fresh clone).
    ``RAY_TQDM_PATCH_PRINT=0`` is Ray's switch for this; a value the user set is respected.
    ``tests/compute/test_ray_backend.py`` fails if Ray stops honouring it.
    """
    os.environ.setdefault("RAY_TQDM_PATCH_PRINT", "0")


def import_ray() -> ModuleType:
    """Import and return ``ray``, or explain how to install it.

    Raises:
        ComputeError: The ``ray`` package is not installed.

    """
    try:
        import ray
    except ImportError as exc:
        raise ComputeError(
            "compute=ray needs the 'ray' package, which is not installed: "
            "pip install 'topics[ray]' (or pip install 'ray[default]'); "
            "or run with compute=local"
        ) from exc
    return ray


def driver_paths() -> list[str]:
    """Folders on the driver's import path that the interpreter itself does not provide."""
    own = tuple(os.path.realpath(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix})
    extra = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    paths: list[str] = []
    for entry in [*sys.path, *extra]:
        if not entry or not os.path.isdir(entry):
            continue
        real = os.path.realpath(entry)
        if real.startswith(own) or real in paths:
            continue
        paths.append(real)
    return paths


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Fail fast when ``host:port`` (or ``ray://host:port``) does not accept TCP connections.

    Ray itself retries an unreachable GCS address for minutes; this check answers in seconds.

    Raises:
        ComputeError: Nothing listens there, or the host cannot be resolved or reached.

    """
    target = address.removeprefix("ray://").rstrip("/")
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        return  # not host:port (e.g. "auto"): Ray reports its own, fast error
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise ComputeError(
            f"compute.address={address!r}: cannot reach a Ray cluster there "
            f"({type(exc).__name__}: {exc}). Start one (`ray start --head`), fix the address "
            "(RAY_ADDRESS or compute.address=...), or set compute.address=null to start Ray "
            "on this machine"
        ) from exc


class _Worker:
    """A Ray actor: builds ``setup()`` on its first chunk, then applies ``fn`` to chunks."""

    def __init__(self, payload: tuple[Callable[[], Any], Callable[[Any, Any], Any]], threads: int):
        self._setup, self._fn = payload
        self._threads = threads
        self._state: Any = _UNSET

    def _limit_threads(self) -> None:
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(self._threads)

    def run(self, item: Any) -> Any:
        """Return ``fn(state, item)``, building the state first if needed."""
        if self._state is _UNSET:
            self._limit_threads()
            try:
                self._state = self._setup()
            except Exception as exc:
                raise WorkerSetupError(
                    f"setup() failed on the worker: {type(exc).__name__}: {exc}"
                ) from exc
            self._limit_threads()  # setup may have imported torch
        return self._fn(self._state, item)


def shutdown_local() -> None:
    """Stop the local Ray instance a :class:`RayCompute` started in this process, if any."""
    import ray

    if ray.is_initialized():
        ray.shutdown()


class RayCompute(ClosingMixin):
    """Run ``map_chunks`` on a pool of Ray actors, started on first use.

    Args:
        address: Cluster to join (``auto``, ``host:port``, ``ray://host:port``); ``None`` (or
            ``local``) starts a Ray instance on this machine. Used only if Ray is not running
            in this process yet.
        num_cpus: CPUs of a local instance; ``None`` = all of this machine's.
        num_workers: Actors per ``map_chunks`` call (fewer when the cluster cannot hold them,
            or when there are fewer items).
        num_cpus_per_worker: CPUs reserved per actor; also its torch thread count.
        chunk_size: Items per chunk the callers should cut their work into.
        runtime_env: Ray runtime environment of the actors (``env_vars``, ``working_dir``, ...).
        temp_dir: Session folder of a local instance; ``None`` = Ray's default (``/tmp/ray``).

    Raises:
        ComputeError: The ``ray`` package is not installed.
        InputError: A setting has a wrong type or value.

    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        num_cpus: int | None = None,
        num_workers: int = 2,
        num_cpus_per_worker: int = 1,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        runtime_env: Mapping[str, Any] | None = None,
        temp_dir: str | None = None,
    ) -> None:
        check_optional_str(address, "address")
        check_positive_int(num_cpus, "num_cpus", optional=True)
        check_positive_int(num_workers, "num_workers")
        check_positive_int(num_cpus_per_worker, "num_cpus_per_worker")
        check_positive_int(chunk_size, "chunk_size")
        check_optional_str(temp_dir, "temp_dir")
        if runtime_env is not None and not isinstance(runtime_env, Mapping):
            raise InputError(f"compute.runtime_env must be a mapping or null, got {runtime_env!r}")
        self.address = None if address in (None, "local") else address
        self.num_cpus = num_cpus
        self.num_workers = num_workers
        self.num_cpus_per_worker = num_cpus_per_worker
        self.chunk_size = chunk_size
        self.runtime_env = dict(runtime_env) if runtime_env is not None else None
        self.temp_dir = temp_dir
        self._ray = import_ray()
        self._started = False
        self._actor_cls: Any = None

    def start(self) -> None:
        """Start or join Ray unless it already runs in this process (``map_chunks`` calls this).

        Raises:
            ComputeError: The cluster at ``address`` cannot be reached or joined, or a local
                instance cannot start.

        """
        ray = self._ray
        if ray.is_initialized():
            return
        keep_builtin_print()
        if self.address is None:
            try:
                ray.init(
                    address="local",
                    num_cpus=self.num_cpus,
                    include_dashboard=False,
                    logging_level=logging.WARNING,
                    _temp_dir=self.temp_dir,
                )
                atexit.register(shutdown_local)
            except Exception as exc:
                raise ComputeError(
                    f"could not start Ray on this machine (compute.address=null, "
                    f"compute.temp_dir={self.temp_dir!r}): {type(exc).__name__}: {exc}"
                ) from exc
        else:
            check_reachable(self.address)
            try:
                ray.init(address=self.address, logging_level=logging.WARNING)
            except Exception as exc:
                raise ComputeError(
                    f"compute.address={self.address!r}: could not join the Ray cluster "
                    f"({type(exc).__name__}: {exc}). Check the address (RAY_ADDRESS), that "
                    "the cluster runs the same Ray and Python versions, or set "
                    "compute.address=null to start Ray on this machine"
                ) from exc
        self._started = True

    def close(self) -> None:
        """Leave a cluster this backend joined; keep a local instance it started running.

        A local instance serves the later jobs of this process (a multirun) and stops at exit
        (or with :func:`shutdown_local`): a second local Ray session in one process reuses
        the first one's object and actor ids, and actors of the new session fail to start.
        """
        self._actor_cls = None
        if self._started and self.address is not None:
            self._started = False
            self._ray.shutdown()

    def worker_runtime_env(self) -> dict[str, Any] | None:
        """Return the actors' runtime environment (``None`` when empty).

        That is ``runtime_env``, plus, for a local instance, the driver's import path and offline
        settings as ``env_vars`` (those given in ``runtime_env`` win).
        """
        env = dict(self.runtime_env or {})
        if self.address is None:
            inherited = {k: os.environ[k] for k in INHERITED_ENV if k in os.environ}
            inherited.update((k, v) for k, v in os.environ.items() if k.startswith("TOPICS_"))
            inherited["PYTHONPATH"] = os.pathsep.join(driver_paths())
            inherited.update(env.get("env_vars") or {})
            env["env_vars"] = inherited
        return env or None

    def _pool_size(self, n_items: int) -> int:
        cpus = float(self._ray.cluster_resources().get("CPU", 0))
        fits = int(cpus // self.num_cpus_per_worker)
        if fits < 1:
            raise ComputeError(
                f"the Ray cluster has {cpus:g} CPUs, fewer than compute.num_cpus_per_worker="
                f"{self.num_cpus_per_worker}; lower it or add nodes"
            )
        if fits < self.num_workers:
            log.warning(
                "compute.num_workers=%d x num_cpus_per_worker=%d needs more than the %g CPUs "
                "of the Ray cluster; using %d workers",
                self.num_workers,
                self.num_cpus_per_worker,
                cpus,
                fits,
            )
        return max(1, min(self.num_workers, fits, n_items))

    def map_chunks(
        self, setup: Callable[[], S], fn: Callable[[S, T], R], items: Sequence[T]
    ) -> Iterator[R]:
        """Yield ``fn(state, item)`` for each item in order, computed by the actors.

        ``(setup, fn)`` is put into the object store once; each actor of this call gets it and
        builds ``setup()`` on its first chunk. The actors (and the CPUs they hold) are released
        when the iteration ends, fails or is abandoned.

        Raises:
            ChunkError: ``setup`` or ``fn`` raised on a worker, or a worker died; the message
                names the chunk and the original error (also chained as ``__cause__``).
            ComputeError: Ray cannot be started or joined.

        """
        if len(items) == 0:
            return
        self.start()
        ray = self._ray
        payload = ray.put((setup, fn))
        if self._actor_cls is None:
            self._actor_cls = ray.remote(_Worker).options(
                num_cpus=self.num_cpus_per_worker, runtime_env=self.worker_runtime_env()
            )
        actors = [
            self._actor_cls.remote(payload, self.num_cpus_per_worker)
            for _ in range(self._pool_size(len(items)))
        ]
        try:
            yield from self._ordered(actors, items)
        finally:
            for actor in actors:
                ray.kill(actor)

    def _ordered(self, actors: list[Any], items: Sequence[T]) -> Iterator[Any]:
        """Keep every actor busy, collect results as they end and yield them in order."""
        ray, n = self._ray, len(items)
        in_flight: dict[Any, tuple[int, int]] = {}  # ref -> (item index, actor index)
        load = [0] * len(actors)
        done: dict[int, Any] = {}
        next_submit = next_yield = 0
        window = WINDOW_PER_WORKER * len(actors)
        while next_yield < n:
            while next_submit < n and next_submit - next_yield < window:
                slot = min(range(len(actors)), key=load.__getitem__)
                if load[slot] >= QUEUE_PER_WORKER:
                    break
                ref = actors[slot].run.remote(items[next_submit])
                in_flight[ref] = (next_submit, slot)
                load[slot] += 1
                next_submit += 1
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in ready:
                index, slot = in_flight.pop(ref)
                load[slot] -= 1
                done[index] = self._fetch(ref, index, n)
            while next_yield in done:
                yield done.pop(next_yield)
                next_yield += 1

    def _fetch(self, ref: Any, index: int, n: int) -> Any:
        """``ray.get`` one result, turning a worker failure into a ``ChunkError``."""
        errors = self._ray.exceptions
        try:
            return self._ray.get(ref)
        except errors.RayTaskError as exc:
            cause = exc.cause if isinstance(exc.cause, BaseException) else exc
            remote = _ANSI.sub("", str(exc)).strip()
            raise ChunkError(
                f"compute=ray: chunk {index} (of {n}) failed on a Ray worker: "
                f"{type(cause).__name__}: {cause}\n--- worker traceback ---\n{remote}",
                index,
                n,
            ) from cause
        except errors.RayActorError as exc:
            raise ChunkError(
                f"compute=ray: the Ray worker running chunk {index} (of {n}) died "
                f"({type(exc).__name__}: {exc}); it may have run out of memory: lower "
                "compute.chunk_size or raise compute.num_cpus_per_worker",
                index,
                n,
            ) from exc

    def __repr__(self) -> str:
        return (
            f"RayCompute(address={self.address!r}, num_workers={self.num_workers}, "
            f"num_cpus_per_worker={self.num_cpus_per_worker}, chunk_size={self.chunk_size})"
        )

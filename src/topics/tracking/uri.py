"""Where runs go: resolve the tracking URI, check it answers, scope MLflow's global settings."""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from omegaconf import DictConfig

from topics.tracking.settings import TrackingSettings, absolute_path

TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
_HTTP_RETRIES_ENV = "MLFLOW_HTTP_REQUEST_MAX_RETRIES"
_HTTP_TIMEOUT_ENV = "MLFLOW_HTTP_REQUEST_TIMEOUT"
_SQLITE_PREFIX = "sqlite:///"
_REMOTE_SCHEMES = ("http", "https", "databricks", "databricks-uc", "uc")


class TrackingUnreachableError(ConnectionError):
    """The tracking server did not answer; the message says which URI and what to do."""


def resolve_tracking_uri(cfg: DictConfig | Mapping[str, Any]) -> str:
    """Return the tracking URI for a run.

    Order: env ``MLFLOW_TRACKING_URI`` when set, else ``tracking.uri``, else a SQLite store at
    ``tracking.db_path``. Relative SQLite paths are made absolute against the original working
    directory.

    Args:
        cfg: The root config (with a ``tracking`` node).

    """
    env_uri = os.environ.get(TRACKING_URI_ENV, "").strip()
    if env_uri:
        return absolutize_uri(env_uri)
    settings = TrackingSettings.from_config(cfg)
    if settings.uri:
        return absolutize_uri(settings.uri.strip())
    return _SQLITE_PREFIX + absolute_path(settings.db_path).as_posix()


def absolutize_uri(uri: str) -> str:
    """Make the path of a ``sqlite:///`` URI, or a plain local path, absolute."""
    if uri.startswith(_SQLITE_PREFIX):
        db_path = uri[len(_SQLITE_PREFIX) :]
        if db_path and not db_path.startswith(":memory:") and not db_path.startswith("/"):
            return _SQLITE_PREFIX + absolute_path(db_path).as_posix()
        return uri
    if not _has_scheme(uri):
        return absolute_path(uri).as_posix()
    return uri


def _has_scheme(uri: str) -> bool:
    return len(urlsplit(uri).scheme) > 1 or uri in _REMOTE_SCHEMES


def is_remote(uri: str) -> bool:
    """Return whether ``uri`` names a tracking server rather than a local store."""
    return uri in _REMOTE_SCHEMES or urlsplit(uri).scheme.lower() in _REMOTE_SCHEMES


def artifact_location(settings: TrackingSettings, uri: str, experiment_name: str) -> str | None:
    """Return the artifact location for a new experiment, or ``None`` to let the server decide.

    Local stores put each experiment's artifacts in ``<artifact_root>/<experiment name>``.
    """
    if is_remote(uri):
        return None
    folder = re.sub(r"[^\w.\-]", "_", experiment_name).strip(".") or "experiment"
    return (absolute_path(settings.artifact_root) / folder).as_uri()


def check_tracking_reachable(uri: str, timeout_s: float = 5) -> None:
    """Fail fast when the tracking backend cannot be used.

    For ``http(s)`` URIs one GET to ``<uri>/health`` must answer within ``timeout_s`` (MLflow's
    own client would otherwise retry for minutes). For SQLite the database's folder and tables
    are created (under a file lock, so concurrent jobs can share a new database).

    Raises:
        TrackingUnreachableError: The server did not answer or answered with a server error.

    """
    scheme = urlsplit(uri).scheme.lower()
    if scheme in ("http", "https"):
        _check_http(uri, timeout_s)
    elif uri.startswith(_SQLITE_PREFIX):
        db_path = uri[len(_SQLITE_PREFIX) :]
        if db_path and not db_path.startswith(":memory:"):
            _init_sqlite_store(uri, Path(db_path))


_READY_STORES: set[str] = set()


def _init_sqlite_store(uri: str, db_path: Path) -> None:
    """Create the database's folder and its tables, one process at a time.

    MLflow creates missing tables without a lock when a client opens the store, so processes
    opening a new database at once can race on its schema migrations.
    """
    if uri in _READY_STORES:
        return
    db_path.parent.mkdir(parents=True, exist_ok=True)
    from mlflow import MlflowClient

    with _exclusive_lock(db_path.with_name(db_path.name + ".init-lock")):
        MlflowClient(uri)  # opening the store creates and migrates the tables
    _READY_STORES.add(uri)


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; MLflow's own init is used
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _check_http(uri: str, timeout_s: float) -> None:
    url = uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as err:
        status = err.code
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise TrackingUnreachableError(_unreachable_message(uri, timeout_s, str(reason))) from err
    if status >= 500:
        raise TrackingUnreachableError(
            _unreachable_message(uri, timeout_s, f"GET {url} answered HTTP {status}")
        )


def _unreachable_message(uri: str, timeout_s: float, reason: str) -> str:
    return (
        f"MLflow tracking server {uri} is not reachable ({reason}; waited up to {timeout_s:g} s). "
        f"Start it, e.g. `mlflow server --host 127.0.0.1 --port 5000 --backend-store-uri "
        f"sqlite:///mlruns/mlflow.db --default-artifact-root mlruns/artifacts`, or point "
        f"`tracking.uri` / env {TRACKING_URI_ENV} at a running server, or use the local store "
        f"(`tracking=sqlite`), or disable tracking (`tracking.enabled=false`)."
    )


@contextmanager
def http_request_limits(settings: TrackingSettings) -> Iterator[None]:
    """Bound MLflow's HTTP retries and timeout for the block, unless the environment sets them."""
    wanted = {
        _HTTP_RETRIES_ENV: str(settings.http_max_retries),
        _HTTP_TIMEOUT_ENV: f"{settings.http_timeout_s:g}",
    }
    added = [name for name in wanted if name not in os.environ]
    for name in added:
        os.environ[name] = wanted[name]
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


@contextmanager
def scoped_tracking_uri(uri: str) -> Iterator[None]:
    """Set MLflow's global tracking URI for the block, then restore the previous state.

    ``mlflow.set_tracking_uri`` also writes env ``MLFLOW_TRACKING_URI``; restoring it keeps one
    run's URI from overriding the config of the next run in the same process.
    """
    import mlflow

    saved_env = os.environ.get(TRACKING_URI_ENV)
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(None)
        if saved_env is not None:
            os.environ[TRACKING_URI_ENV] = saved_env

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from topics.data.types import InputError
from topics.tracking import (
    TrackingSettings,
    TrackingUnreachableError,
    check_tracking_reachable,
    resolve_tracking_uri,
)


def test_default_uri_is_absolute_sqlite_of_db_path(make_cfg, tmp_path: Path) -> None:
    cfg = make_cfg(root=tmp_path)
    assert resolve_tracking_uri(cfg) == f"sqlite:///{tmp_path}/mlruns/mlflow.db"


def test_relative_paths_resolve_against_start_dir(
    make_cfg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = make_cfg(root="relroot")
    assert resolve_tracking_uri(cfg) == f"sqlite:///{tmp_path}/relroot/mlruns/mlflow.db"
    cfg.tracking.uri = "sqlite:///sub/x.db"
    assert resolve_tracking_uri(cfg) == f"sqlite:///{tmp_path}/sub/x.db"


def test_server_config_and_env_override(make_cfg, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = make_cfg("server")
    assert resolve_tracking_uri(cfg) == "http://127.0.0.1:5000"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking.example:8080")
    assert resolve_tracking_uri(cfg) == "http://tracking.example:8080"
    assert resolve_tracking_uri(make_cfg("sqlite")) == "http://tracking.example:8080"


def test_missing_tracking_node_uses_defaults(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_tracking_uri({}) == f"sqlite:///{tmp_path}/mlruns/mlflow.db"


def test_bad_setting_is_named(make_cfg) -> None:
    cfg = make_cfg()
    # a plain node, as from a stored run's config: the schema refuses "soon" at composition
    cfg.tracking = {**OmegaConf.to_container(cfg.tracking), "check_timeout_s": "soon"}
    with pytest.raises(InputError, match="tracking.check_timeout_s"):
        TrackingSettings.from_config(cfg)


def test_unreachable_server_fails_fast_naming_uri(free_port: int) -> None:
    uri = f"http://127.0.0.1:{free_port}"
    start = time.monotonic()
    with pytest.raises(TrackingUnreachableError, match=re.escape(uri)):
        check_tracking_reachable(uri, timeout_s=5)
    assert time.monotonic() - start < 10


def test_silent_server_times_out(tmp_path: Path) -> None:
    # Accepts connections (kernel backlog) but never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        uri = f"http://127.0.0.1:{silent.getsockname()[1]}"
        start = time.monotonic()
        with pytest.raises(TrackingUnreachableError, match="waited up to 1 s"):
            check_tracking_reachable(uri, timeout_s=1)
        assert time.monotonic() - start < 5


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        code = self.status if self.path == "/health" else 404
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_healthy_server_passes_and_server_error_fails(http_server: ThreadingHTTPServer) -> None:
    uri = f"http://127.0.0.1:{http_server.server_address[1]}/"
    check_tracking_reachable(uri, timeout_s=2)
    _Health.status = 503
    try:
        with pytest.raises(TrackingUnreachableError, match="HTTP 503"):
            check_tracking_reachable(uri, timeout_s=2)
    finally:
        _Health.status = 200


def test_sqlite_parent_folder_is_created(tmp_path: Path) -> None:
    db = tmp_path / "deep" / "er" / "mlflow.db"
    check_tracking_reachable(f"sqlite:///{db}")
    assert db.parent.is_dir()

"""The logged theme model served by `mlflow models serve` on loopback, as an MLflow user would.

Only the public contract is used: the run's ``themes/model_uri`` tag, ``mlflow models serve -m
<uri> --env-manager local``, and a DataFrame with a ``text`` column posted to ``/invocations``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from topics.tracking.uri import scoped_tracking_uri

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TEXTS = [
    "银行自建GPU算力集群和智算中心，采购英伟达芯片，扩充大模型训练所需的算力。",
    "銀行自建GPU算力集群和智算中心，採購英偉達芯片，擴充大模型訓練所需的算力。",
    "The bank built its own GPU cluster and data center to get the compute for model training.",
]
START_TIMEOUT_S = 300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return response.status
    except OSError:
        return None


@pytest.fixture(scope="module")
def logged_model(runs):
    """The default seeds job of ``tests/conftest.py``: its tracking URI and theme model URI."""
    tags = mlflow.MlflowClient(runs.tracking_uri).get_run(runs.default_id).data.tags
    return runs.tracking_uri, tags["themes/model_uri"]


@pytest.fixture(scope="module")
def server(logged_model, tmp_path_factory):
    """``mlflow models serve`` on 127.0.0.1 in its own process group; always stopped."""
    tracking_uri, model_uri = logged_model
    base = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "HF_HUB_OFFLINE": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    # the server runs `uvicorn` from PATH: the one next to this interpreter
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    cmd = [sys.executable, "-m", "mlflow", "models", "serve", "-m", model_uri, "--env-manager",
           "local", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]  # fmt: skip
    log = (base / "serve.log").open("wb")
    proc = subprocess.Popen(
        cmd, cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while _get(f"{url}/ping") != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (base / "serve.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"mlflow models serve did not answer at {url}:\n{tail}")
            time.sleep(1)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


def _themes(value: object) -> list[str]:
    if isinstance(value, str):
        return [t for t in value.split(",") if t]
    return list(value or [])  # type: ignore[call-overload]


def test_served_theme_model_answers_like_the_loaded_model(server, logged_model):
    body = json.dumps({"dataframe_split": {"columns": ["text"], "data": [[t] for t in TEXTS]}})
    request = urllib.request.Request(
        f"{server}/invocations",
        data=body.encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback
        assert response.status == 200
        served = pd.DataFrame(json.loads(response.read())["predictions"])
    tracking_uri, model_uri = logged_model
    with scoped_tracking_uri(tracking_uri):
        local = mlflow.pyfunc.load_model(model_uri).predict(pd.DataFrame({"text": TEXTS}))

    prob_cols = [c for c in served.columns if c.startswith("p_")]
    ids = {c[2:] for c in prob_cols}
    assert len(served) == len(TEXTS) and "themes" in served and len(ids) >= 2
    assert prob_cols == [c for c in local.columns if c.startswith("p_")]
    probs = served[prob_cols].to_numpy(dtype=float)
    assert ((probs >= 0) & (probs <= 1)).all()
    themes = [_themes(v) for v in served["themes"]]
    assert all(set(t) <= ids for t in themes)
    # the server answers what the model answers in this process
    assert themes == [_themes(v) for v in local["themes"]]
    assert probs == pytest.approx(local[prob_cols].to_numpy(dtype=float), abs=1e-6)
    # Simplified and Traditional are one text to the model; an obvious compute text is compute
    assert themes[0] == themes[1]
    assert probs[0] == pytest.approx(probs[1], abs=1e-6)
    compute = prob_cols.index("p_compute")
    assert "compute" in themes[0] and probs[0].argmax() == compute
    assert probs[2][compute] > 0


def test_topics_predict_serve_answers_each_line_like_the_model(logged_model):
    tracking_uri, model_uri = logged_model
    cmd = [sys.executable, "-m", "topics.cli.predict", "--serve", "--json",
           "--tracking-uri", tracking_uri, "--model-uri", model_uri]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        cmd, input="\n".join([TEXTS[0], "", TEXTS[2]]) + "\n", capture_output=True, text=True,
        env=env, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ready" in done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["text"] for a in answers] == [TEXTS[0], TEXTS[2]]  # the blank line is skipped
    with scoped_tracking_uri(tracking_uri):
        model = mlflow.pyfunc.load_model(model_uri)
    local = model.predict(pd.DataFrame({"text": [TEXTS[0], TEXTS[2]]}))
    assert [a["themes"] for a in answers] == [_themes(v) for v in local["themes"]]
    for answer, p_compute in zip(answers, local["p_compute"], strict=True):
        assert answer["probabilities"]["compute"] == pytest.approx(p_compute, abs=1e-3)

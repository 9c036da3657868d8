"""The MLflow UI on real runs: a sweep logged over HTTP to a real server, seen in headless Chromium.

Needs Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``,
``/usr/bin/chromedriver``) and the ``selenium`` package; Selenium Manager downloads nothing since
both paths are given. With env ``TOPICS_UPDATE_SCREENSHOT=1`` the compare view is also saved as
``docs/mlflow_ui.png``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
EXPERIMENT = "topics-seeds"
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1350",
]
UI_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server and the workers it started (its own process group), for sure."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)  # uvicorn may wait for idle keep-alive connections: don't
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real ``mlflow server`` on loopback with a SQLite store; always terminated."""
    base = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    log = (base / "server.log").open("wb")
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        f"sqlite:///{base}/mlflow.db",
        "--artifacts-destination",
        str(base / "artifacts"),
    ]
    proc = subprocess.Popen(
        cmd, cwd=base, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # a busy machine starts it slowly
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (base / "server.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"mlflow server did not become healthy at {url}:\n{tail}")
            time.sleep(0.5)
        yield url
    finally:
        _stop(proc)
        log.close()


@dataclass
class Sweep:
    """The runs a two-job sweep left in the server."""

    experiment_id: str
    parent_id: str
    children: dict[str, str]  # run id -> run name


@pytest.fixture(scope="module")
def sweep(server, tmp_path_factory) -> Sweep:
    """Run ``topics-run -m`` with two jobs, logging to the server over HTTP."""
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("sweep-root")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "CI": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)  # it would override tracking.uri
    # TF-IDF + SVD embeddings keep the sweep short; the UI, not the embedding model, is under test
    cmd = [
        sys.executable,
        "-m",
        "topics.cli.run",
        "-m",
        "topic_model.min_cluster_size=3,5",
        "embedding=tfidf_svd",
        "figures=false",
        # no theme stage: its logged model (the encoder) would only lengthen the uploads
        "stages=[data,preprocess,embedding,topic_model]",
        "tracking=server",
        f"tracking.uri={server}",
        f"paths.root_dir={root}",
    ]
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    client = MlflowClient(server)
    exp = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs([exp.experiment_id])
    parents = [r for r in runs if r.data.tags.get("sweep") == "true"]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId")]
    assert len(parents) == 1 and len(children) == 2
    assert all(r.info.status == "FINISHED" for r in runs)
    # runs are named after their job's overrides, so the comparison view tells them apart
    assert {r.info.run_name for r in children} == {
        f"min_cluster_size={k}·embedding=tfidf_svd·stages=[data,preprocess,embedding,topic_model]"
        for k in (3, 5)
    }
    return Sweep(
        exp.experiment_id,
        parents[0].info.run_id,
        {r.info.run_id: r.info.run_name for r in children},
    )


@pytest.fixture
def browser(tmp_path):
    """Headless Debian Chromium driven by Selenium through Debian's chromedriver."""
    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.fail(
            "install Debian's chromium and chromium-driver: "
            "`apt-get install -y chromium chromium-driver`"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROME_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    service = Service(str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(UI_TIMEOUT_S)
    yield driver
    driver.quit()


def _wait_for_texts(driver, *texts: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def seen(d) -> bool:
        body = d.find_element(By.TAG_NAME, "body").text
        return all(t in body for t in texts)

    WebDriverWait(driver, UI_TIMEOUT_S).until(seen, f"page never showed all of {texts}")


def _click(driver, css: str) -> None:
    """Click the first visible element matching ``css`` once there is one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def visible(d):
        shown = [e for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]
        return shown[0] if shown else False

    WebDriverWait(driver, UI_TIMEOUT_S).until(visible, f"nothing visible matches {css}").click()


def _close_assistant_panel(driver) -> None:
    from selenium.webdriver.common.by import By

    for button in driver.find_elements(By.CSS_SELECTOR, '[aria-label="Close"]'):
        component = button.get_attribute("data-component-id") or ""
        if button.is_displayed() and "assistant" in component:
            button.click()


def test_mlflow_ui_shows_the_sweep_and_compares_its_runs(server, sweep, browser, tmp_path):
    from selenium.webdriver.common.by import By

    (first, first_name), (second, second_name) = sorted(sweep.children.items())
    try:
        browser.get(f"{server}/#/experiments/{sweep.experiment_id}/runs")
        _wait_for_texts(browser, EXPERIMENT, f"{EXPERIMENT} sweep")
        _close_assistant_panel(browser)
        # child runs sit under their sweep's parent run: expand it, then pick both
        _click(browser, f'.ag-row[row-id="{sweep.parent_id}"] [data-component-id*="runnamecell"]')
        _wait_for_texts(browser, first_name, second_name)
        for run_id in (first, second):
            _click(browser, f'.ag-row[row-id="{run_id}"] .ag-checkbox-input-wrapper')
        browser.save_screenshot(str(tmp_path / "runs.png"))
        _click(browser, '[data-testid="runs-compare-button"]')
        _wait_for_texts(
            browser,
            "Comparing 2 Runs",
            first,
            second,
            first_name,
            second_name,
            "topic_model.min_cluster_size",
            "data/n_units",
        )
        assert "compare-runs" in browser.current_url
        browser.find_element(By.XPATH, "//div[normalize-space(text())='Visualizations']").click()
        _click(browser, '[aria-label="Parameters - Show diff only"]')
        _wait_for_texts(browser, "Show diff only", "topic_model.min_cluster_size")
        time.sleep(0.5)  # let the toggled table paint before the picture
        shot = tmp_path / "compare.png"
        browser.save_screenshot(str(shot))
    except Exception:
        browser.save_screenshot(str(tmp_path / "failure.png"))
        raise
    assert shot.stat().st_size > 20_000
    if os.environ.get("TOPICS_UPDATE_SCREENSHOT") == "1":
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, REPO / "docs" / "mlflow_ui.png")


def test_tracking_server_holds_params_metrics_and_artifacts(server, sweep, tmp_path):
    """`tracking=server`: each job's run in the server's SQL store has the flattened config,
    `/`-separated metrics and the job's `.hydra/` folder (artifact `hydra/`), served back by the artifact proxy."""
    from mlflow import MlflowClient

    client = MlflowClient(server)
    sizes = set()
    for run_id in sweep.children:
        run = client.get_run(run_id)
        assert run.info.status == "FINISHED"
        assert run.data.params["tracking.name"] == "server"
        assert run.data.params["tracking.uri"] == server
        sizes.add(run.data.params["topic_model.min_cluster_size"])
        assert run.data.metrics["data/n_units"] > 100
        assert run.data.metrics["topics/n_topics"] >= 1
        assert run.info.artifact_uri.startswith("mlflow-artifacts:")
        local = client.download_artifacts(run_id, "hydra", str(tmp_path / run_id))
        overrides = (Path(local) / "overrides.yaml").read_text(encoding="utf-8")
        assert "topic_model.min_cluster_size=" in overrides
    assert sizes == {"3", "5"}

"""The run report of a seeds job, downloaded from MLflow and opened offline in headless Chromium.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package, like
``test_mlflow_ui.py``. With env ``TOPICS_UPDATE_SCREENSHOT=1`` the page is also saved as
``docs/report.png``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SECTIONS = ("metrics", "config", "topics", "figures", "dynamics", "themes", "ingestion")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """Run a seeds job (TF-IDF embeddings keep it short) and download its logged report."""
    from mlflow import MlflowClient

    from jobcfg import compose_job
    from topics.runner import run
    from topics.tracking import resolve_tracking_uri

    root = tmp_path_factory.mktemp("report-root")
    cfg, out = compose_job(root, ["embedding=tfidf_svd"], job="report")
    result = run(cfg, out)
    client = MlflowClient(resolve_tracking_uri(cfg))
    assert client.get_run(result.run_id).info.run_name == "embedding=tfidf_svd"
    target = tmp_path_factory.mktemp("downloaded")
    return Path(client.download_artifacts(result.run_id, "report/report.html", str(target)))


@pytest.fixture
def browser(tmp_path):
    """Headless Debian Chromium driven by Selenium, with the network switched off."""
    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.fail("install Debian's chromium and chromium-driver: "
                    "`apt-get install -y chromium chromium-driver`")  # fmt: skip
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1600", f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(flag)
    service = Service(str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_network_conditions(offline=True, latency=0, throughput=0)
    yield driver
    driver.quit()


def test_report_renders_offline_with_every_section_and_chinese_text(report, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(report.as_uri())
    for anchor in SECTIONS:
        section = browser.find_element(By.ID, anchor)
        assert section.is_displayed() and section.text.strip(), anchor
    text = browser.find_element(By.TAG_NAME, "body").text
    # article titles (not ids) in the topics, profile and audit; CJK words in the topics table
    assert text.count("30万员工学AI!摩根大通金融效率暴增秘诀") >= 2
    assert "000_899324ef946d4dba" not in browser.find_element(By.ID, "themes").text
    assert "大模型" in browser.find_element(By.ID, "topics").text
    dynamics = browser.find_element(By.ID, "dynamics").text
    assert "Topics over time" in dynamics and "Topics per article" in dynamics
    assert "2024-11" in dynamics and "2025-10" in dynamics  # the two dated seed articles
    assert "Per-theme evaluation" in browser.find_element(By.ID, "themes").text
    # self-contained: no external resource, and every embedded figure decoded
    external = browser.execute_script(
        "return [...document.querySelectorAll('[src],[href]')]"
        ".map(e => e.getAttribute('src') || e.getAttribute('href'))"
        ".filter(u => !u.startsWith('data:') && !u.startsWith('#'))"
    )
    assert external == []
    sizes = browser.execute_script(
        "return [...document.images].map(i => i.complete ? i.naturalWidth : 0)"
    )
    assert len(sizes) >= 6 and min(sizes) > 0
    shot = tmp_path / "report.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 50_000
    if os.environ.get("TOPICS_UPDATE_SCREENSHOT") == "1":
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, REPO / "docs" / "report.png")

"""The wheel builds with build isolation, carries the configs and the seed corpus, and its
installed ``topics-run`` works from another directory."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build the wheel the way a user's pip does: in an isolated build environment, so that a
    build requirement missing from ``build-system.requires`` fails here."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
    )
    return next(out.glob("topics-*.whl"))


def test_wheel_bundles_configs_and_seeds(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "topics/_bundled/configs/config.yaml" in names
    assert "topics/_bundled/configs/preprocess/default.yaml" in names
    assert "topics/_bundled/seeds/manifest.jsonl" in names
    assert sum(n.startswith("topics/_bundled/seeds/00") for n in names) == 5
    assert "topics/_bundled/seeds/themes/authored_a.jsonl" in names  # the authored theme set
    assert "topics/_bundled/seeds/themes/README.md" in names
    assert "topics/tokenize/resources/userdict.txt" in names


@pytest.mark.slow
def test_installed_wheel_composes_config_and_reads_seeds_elsewhere(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    script = (
        "import topics, topics.paths as p\n"
        "from hydra import compose, initialize_config_dir\n"
        "from topics.data import load_documents\n"
        "assert '_bundled' in str(p.config_dir()), p.config_dir()\n"
        "with initialize_config_dir(config_dir=str(p.config_dir()), version_base='1.3'):\n"
        "    cfg = compose(config_name='config')\n"
        "docs = load_documents(cfg.data)\n"
        "print(topics.__file__, len(docs), cfg.preprocess.unit)\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert str(target) in proc.stdout and " 5 paragraph" in proc.stdout


@pytest.mark.slow
def test_installed_topics_run_works_from_another_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    script = target / "bin" / "topics-run"
    assert script.is_file(), "the wheel installs no topics-run console script"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        "PYTHONPATH": str(target),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "CI": "true",
    }
    proc = subprocess.run(
        [sys.executable, str(script), "stages=[data,preprocess]", "figures=false"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # everything the job writes lands under the folder it was started from
    assert (elsewhere / "mlruns" / "mlflow.db").is_file()
    reports = list((elsewhere / "outputs").rglob("ingestion_report.md"))
    assert reports, sorted(p.name for p in (elsewhere / "outputs").rglob("*"))[:50]

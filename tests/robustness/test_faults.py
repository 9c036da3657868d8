"""Bad input, bad settings and faults end with a clear message, and nothing written is lost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from mlflow import MlflowClient

from jobcfg import compose_job
from topics.data import load_documents
from topics.preprocess.pipeline import preprocess_documents
from topics.runner import run
from topics.tracking import TrackingUnreachableError

REPO = Path(__file__).resolve().parents[2]


def _runs(root: Path, experiment: str = "topics-seeds"):
    client = MlflowClient(f"sqlite:///{root}/mlruns/mlflow.db")
    exp = client.get_experiment_by_name(experiment)
    return client.search_runs([exp.experiment_id]) if exp else []


def test_a_50_mb_single_file_is_read_and_cut_into_units(tmp_path):
    paragraphs = [
        line.strip()
        for path in sorted((REPO / "seeds").glob("00*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if len(line.strip()) > 80
    ]
    folder = tmp_path / "corpus"
    folder.mkdir()
    big = folder / "dump.txt"
    with big.open("w", encoding="utf-8") as fh:
        written, n = 0, 0
        while written < 50_000_000:
            # one long line per "record" of ten paragraphs, numbered so no two lines are equal
            line = f"第{n}条。" + "".join(paragraphs[(n + k) % len(paragraphs)] for k in range(10))
            fh.write(line + "\n\n")
            written += len(line.encode("utf-8")) + 2
            n += 1
    assert big.stat().st_size >= 50_000_000
    docs = load_documents({"format": "folder", "path": str(folder), "extensions": [".txt"]})
    assert len(docs) == 1 and len(docs[0].text) > 15_000_000
    result = preprocess_documents(docs, {"unit": "paragraph", "dedup": {"enabled": False}})
    report = result.report[0]
    # nothing is lost unreported: every record is a unit or a reported drop
    assert report["lines_kept"] + report["lines_dropped"] == n
    assert len(result.units) == report["lines_kept"] > 0.8 * n
    first = result.units.iloc[0]
    assert docs[0].text[first.start : first.end] == first.text


def test_a_corpus_too_small_for_the_clusterer_fails_clearly_and_the_run_is_failed(tmp_path):
    cfg, out = compose_job(tmp_path, ["data.limit=1", "figures=false"])
    with pytest.raises(Exception, match=r"min_units_for_umap"):
        run(cfg, out)
    (failed,) = _runs(tmp_path)
    assert failed.info.status == "FAILED" and "min_units_for_umap" in failed.data.tags["error"]
    # what was written before the failure is still there
    assert (out / "data" / "units.parquet").is_file()


def test_an_unknown_model_offline_names_the_model_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg, out = compose_job(tmp_path, ["embedding.model=no-such-org/no-such-model"])
    with pytest.raises(Exception, match="no-such-org/no-such-model") as err:
        run(cfg, out)
    assert "install" in str(err.value).lower() or "local folder" in str(err.value).lower()
    (failed,) = _runs(tmp_path)
    assert failed.info.status == "FAILED"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_tracking_server_fails_fast_before_any_work(tmp_path):
    uri = f"http://127.0.0.1:{_free_port()}"
    cfg, out = compose_job(tmp_path, ["tracking=server", f"tracking.uri={uri}"])
    start = time.perf_counter()
    with pytest.raises(TrackingUnreachableError, match=uri):
        run(cfg, out)
    assert time.perf_counter() - start < 15
    assert not (out / "data").exists()  # no stage ran
    assert not (tmp_path / ".cache").exists()


@pytest.mark.slow
def test_ctrl_c_marks_the_run_killed_and_leaves_the_cache_intact(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("CI", None)
    cmd = [
        sys.executable,
        "-m",
        "topics.cli.run",
        f"paths.root_dir={tmp_path}",
        "preprocess=sentences",
        "embedding.batch_size=8",
        "classifier=keywords",  # the rerun checks the cache; an embedding stack costs ~2 min
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    log = []
    for line in proc.stdout:  # wait until embedding has started, then press Ctrl-C
        log.append(line)
        if "stage embedding ..." in line:
            time.sleep(4)
            os.killpg(proc.pid, signal.SIGINT)
            break
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0, "".join(log) + rest
    (killed,) = _runs(tmp_path)
    # KILLED when the interrupt reaches Python as KeyboardInterrupt; FAILED when a library
    # (torch, tokenizers) turns it into its own error first. Never RUNNING.
    assert killed.info.status in {"KILLED", "FAILED"}, killed.info.status
    assert killed.data.tags.get("error")

    # the embedding cache holds only whole entries: every committed shard loads and is finite
    cache_root = tmp_path / ".cache" / "embeddings"
    for vecs in cache_root.rglob("*.vecs.npy"):
        assert np.isfinite(np.load(vecs, mmap_mode="r")).all()
    assert not list(cache_root.rglob("*.corrupt"))
    # and a rerun completes, reusing what was cached
    rerun = ["preprocess=sentences", "figures=false", "classifier=keywords"]
    cfg, out = compose_job(tmp_path, rerun, job="rerun")
    result = run(cfg, out)
    assert result.metrics["data/n_units"] > 200

"""`topics-run` on bad input or config: one line on stderr naming the file, line or key, exit 2;
with HYDRA_FULL_ERROR=1 the traceback is back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _topics_run(
    root: Path, *overrides: str, full_error: bool = False
) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("HYDRA_FULL_ERROR", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    if full_error:
        env["HYDRA_FULL_ERROR"] = "1"
    cmd = [sys.executable, "-m", "topics.cli.run", f"paths.root_dir={root}", *overrides]
    return subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)


def _one_line(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr[-2000:]
    assert len(lines) == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "Error executing job" not in done.stderr
    assert lines[0].startswith("topics-run: error: ")
    return lines[0]


def test_missing_path_names_the_key_and_the_fix(tmp_path):
    missing = tmp_path / "no-such-corpus.jsonl"
    line = _one_line(_topics_run(tmp_path, "data=jsonl", f"data.path={missing}"))
    assert str(missing) in line and "data.path" in line


def test_malformed_record_names_file_and_line(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        '{"id": "a", "text": "银行部署大模型"}\n{"id": "b", "text": \n', encoding="utf-8"
    )
    line = _one_line(_topics_run(tmp_path, "data=jsonl", f"data.path={corpus}"))
    assert f"{corpus}, line 2" in line and "on_error" in line


def test_unknown_key_names_the_key_and_the_fix(tmp_path):
    line = _one_line(_topics_run(tmp_path, "topic_model.min_cluster_sizee=3"))
    assert "topic_model.min_cluster_sizee" in line and "+topic_model.min_cluster_sizee=3" in line


def test_full_error_shows_the_traceback(tmp_path):
    missing = tmp_path / "no-such-corpus.jsonl"
    done = _topics_run(tmp_path, "data=jsonl", f"data.path={missing}", full_error=True)
    assert done.returncode != 0
    assert "Traceback" in done.stderr and "InputError" in done.stderr

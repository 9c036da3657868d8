"""scripts/theme_set_effect.py: stored protocol results paired against a commit's."""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path

import pytest

from topics.classifier.protocols.report import load_settings

REPO = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location(
        "theme_set_effect", REPO / "scripts" / "theme_set_effect.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_results_paired_with_themselves_at_head_differ_by_nothing(tmp_path, monkeypatch):
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs the repository's git history (a git checkout with git installed)")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # git show's copies go here
    script = _script()
    current = tmp_path / "current"  # HEAD's results again, whatever the working tree holds
    current.mkdir()
    script._results_at("HEAD", ["keywords"], current, load_settings()["results_dir"])
    record = script.run("HEAD", ["keywords"], current)
    rows = {r["protocol"]: r for r in record["rows"]}
    assert {"A", "B", "C", "C_raw"} <= set(rows)
    for row in rows.values():
        assert row["diff"] == 0.0 and row["ci_low"] == row["ci_high"] == 0.0
        assert row["macro_f1"][0] == row["macro_f1"][1]
    table = script.render(record)
    assert "| keywords | A |" in table and "+0.000 [+0.000, +0.000]" in table


def test_an_unknown_base_fails_with_one_line_naming_it(tmp_path, monkeypatch):
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs the repository's git history (a git checkout with git installed)")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(SystemExit, match=r"git show no-such-rev:.*keywords\.json failed .*pass a"):
        _script().run("no-such-rev", ["keywords"])

"""benchmarks/classifier_thucnews.py: the paired comparison of two kept runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import classifier_thucnews as bench  # noqa: E402


def _kept(tmp_path: Path, name: str, labels: list[str], predicted: list[str]) -> dict:
    path = tmp_path / f"{name}.csv"
    pd.DataFrame({"label": labels, "predicted": predicted}).to_csv(path, index=False)
    return {"method": name, "predictions_csv": str(path)}


def test_paired_runs_counts_the_discordant_texts(tmp_path):
    labels = ["a", "b"] * 50
    better = list(labels)
    better[:3] = ["b", "a", "b"]  # the first 3 wrong
    worse = list(labels)
    worse[:10] = ["b" if y == "a" else "a" for y in labels[:10]]  # 10 wrong
    rows = [_kept(tmp_path, "x", labels, better), _kept(tmp_path, "y", labels, worse)]
    cmp_ = bench.paired_runs(rows, "x", "y")
    assert cmp_["a"] == "x" and cmp_["b"] == "y"
    assert cmp_["only_first_right"] == 7 and cmp_["only_second_right"] == 0
    assert cmp_["accuracy_diff"] == pytest.approx(0.07)
    assert 0 < cmp_["ci95_low"] <= 0.07 <= cmp_["ci95_high"]


def test_paired_runs_refuses_rows_without_kept_predictions_or_other_texts(tmp_path):
    rows = [_kept(tmp_path, "x", ["a", "b"], ["a", "b"]), {"method": "y"}]
    with pytest.raises(SystemExit, match="no kept predictions for 'y'; run it with --keep"):
        bench.paired_runs(rows, "x", "y")
    rows[1] = _kept(tmp_path, "y", ["b", "a"], ["a", "b"])
    with pytest.raises(SystemExit, match="did not score the same dev texts"):
        bench.paired_runs(rows, "x", "y")


def test_a_rerun_keeps_other_rows_and_the_comparisons_it_does_not_touch():
    previous = {
        "machine": "old",
        "methods": [{"method": "a", "acc": 1}, {"method": "b", "acc": 2}, {"method": "c"}],
        "paired": [{"a": "a", "b": "b"}, {"a": "b", "b": "c"}],
    }
    merged = bench.merge_results(previous, {"machine": "new", "methods": [{"method": "a"}]})
    assert merged["machine"] == "new"
    assert [r["method"] for r in merged["methods"]] == ["b", "c", "a"]
    assert merged["methods"][-1] == {"method": "a"}
    # the comparison with the rerun method is stale; the other one stays
    assert merged["paired"] == [{"a": "b", "b": "c"}]
    assert bench.merge_results({}, {"methods": []}) == {"methods": [], "paired": []}

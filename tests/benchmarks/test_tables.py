"""benchmarks/README.md tables are generated from benchmarks/results/*.json and up to date."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import tables  # noqa: E402


def test_readme_tables_are_up_to_date():
    assert tables.main(["--check"]) == 0, "run: python benchmarks/tables.py"


def test_every_table_in_the_readme_comes_from_a_results_file():
    text = tables.README.read_text(encoding="utf-8")
    names = {m["name"] for m in tables.MARKER.finditer(text)}
    results, _ = tables.load_results()
    assert (
        {"pipeline_scale", "sweep_cost", "onnx_memory"} <= names <= set(tables.render_all(results))
    )
    # a generated block holds its source line and a Markdown table
    block = next(m.group(0) for m in tables.MARKER.finditer(text) if m["name"] == "onnx_memory")
    assert "results/onnx_memory.json" in block and "|---|" in block


def test_unknown_results_are_ignored_with_a_note_and_a_stray_marker_fails(tmp_path):
    shutil.copy(tables.RESULTS / "onnx_memory.json", tmp_path)
    (tmp_path / "classifier_thucnews.json").write_text(
        json.dumps({"benchmark": "classifier_thucnews", "rows": []}), encoding="utf-8"
    )
    results, notes = tables.load_results(tmp_path)
    assert set(results) == {"onnx_memory"}
    assert notes == [
        "ignored classifier_thucnews.json: no table for benchmark 'classifier_thucnews' in tables.py"
    ]
    rendered = tables.render_all(results)
    text = "a\n<!-- table:onnx_memory -->\nold\n<!-- /table:onnx_memory -->\nb\n"
    new, left_out = tables.rewrite(text, rendered)
    assert new.startswith("a\n<!-- table:onnx_memory -->\n_From `results/onnx_memory.json`")
    assert new.endswith("<!-- /table:onnx_memory -->\nb\n") and "old" not in new
    assert left_out == []
    with pytest.raises(SystemExit, match=r"no results for table\(s\) \['sweep_cost'\]"):
        tables.rewrite(text + "<!-- table:sweep_cost -->\n<!-- /table:sweep_cost -->\n", rendered)

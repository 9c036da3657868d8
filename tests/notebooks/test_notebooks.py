"""The notebooks: committed without outputs, and they run end to end on fresh runs."""

from __future__ import annotations

import html
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CELL_TIMEOUT_S = 300


def _notebooks() -> list:
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert paths, f"no notebooks in {NOTEBOOKS}"
    return paths


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} hold outputs or execution counts; clear them before "
        "committing (Jupyter: Edit > Clear Outputs of All Cells, or "
        f"`jupyter nbconvert --clear-output --inplace {path.name}`)"
    )
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"


def _with_parameters(nb, **params):
    """Insert a cell after the 'parameters' cell that overrides them (as papermill does)."""
    index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    source = "\n".join(f"{name} = {value!r}" for name, value in params.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(index + 1, cell)
    return nb


def _execute(name: str, workdir, kernel_name: str, **params):
    from nbclient import NotebookClient

    nb = _with_parameters(nbformat.read(NOTEBOOKS / name, as_version=4), **params)
    workdir.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()
    nbformat.write(nb, workdir / name)  # kept as a test artifact
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors
    return nb


def _html(nb, tag: str) -> str:
    """All HTML (else plain text) output of the cells tagged ``tag``."""
    cells = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert cells, f"no cell tagged {tag!r}"
    parts = []
    for cell in cells:
        for out in cell.outputs:
            data = out.get("data", {})
            parts.append(
                data.get("text/html")
                or data.get("text/markdown")
                or data.get("text/plain")
                or out.get("text", "")
            )
    return "\n".join(parts)


@pytest.mark.slow
def test_explore_notebook_runs_end_to_end(runs, kernel_name, tmp_path):
    import pandas as pd

    texts = [
        "银行利用大模型提升风控效率。",
        "銀行積極招聘人工智能人才。",  # Simplified, Traditional
        "Banks train staff to use generative AI.",
    ]
    nb = _execute(
        "explore.ipynb",
        tmp_path / "work",
        kernel_name,
        tracking_uri=runs.tracking_uri,
        run_id=runs.default_id,
        topic_id=1,
        new_texts=texts,
    )
    topics = pd.read_csv(runs.root / "outputs" / "default" / "topics" / "topics.csv")
    table = _html(nb, "topics-table")
    assert "<table" in table and all(label in table for label in topics.label)
    figures = _html(nb, "figures")
    assert figures.count("<iframe srcdoc=") >= 3 and "plotly" in figures
    assert "摩根大通" in _html(nb, "profiles")  # a seed article's title
    reps = _html(nb, "representatives")
    assert "Topic 1" in reps and reps.split("<tbody>")[1].count("<tr>") == 5
    predictions = _html(nb, "predictions")
    # every default run logs its theme pipeline, so the notebook tags themes and nearest topics
    assert "<table" in predictions and "theme_model" in predictions
    for text in texts:
        assert html.escape(text) in predictions, text


@pytest.mark.slow
def test_compare_notebook_runs_two_runs(runs, kernel_name, tmp_path):
    nb = _execute(
        "compare_runs.ipynb",
        tmp_path / "work",
        kernel_name,
        tracking_uri=runs.tracking_uri,
        run_ids=[runs.default_id, runs.kmeans_id],
    )
    comparison = _html(nb, "comparison")
    assert "topic_model.clustering.name" in comparison
    assert "hdbscan" in comparison and "kmeans" in comparison
    assert runs.default_id[:8] in comparison and runs.kmeans_id[:8] in comparison
    assert "topics/n_topics" in _html(nb, "counts")
    side_by_side = _html(nb, "topics")
    assert side_by_side.count(runs.default_id[:8]) == 1 and runs.kmeans_id[:8] in side_by_side

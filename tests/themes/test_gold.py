from __future__ import annotations

import json

import numpy as np
import pytest

from topics.data.types import InputError
from topics.preprocess.pipeline import preprocess_documents
from topics.themes import (
    check_gold,
    default_gold_path,
    label_matrix,
    label_stats,
    load_gold,
    load_taxonomy,
    theme_ids,
)


@pytest.fixture(scope="module")
def units(seed_documents):
    return preprocess_documents(seed_documents, {"unit": "paragraph"}).units


@pytest.fixture(scope="module")
def gold():
    return load_gold()


@pytest.fixture(scope="module")
def ids():
    return theme_ids(load_taxonomy())


def test_gold_covers_exactly_the_paragraph_units(gold, units):
    assert len(units) == 113
    check = check_gold(gold, units)
    assert check.orphans == () and check.unlabeled == ()
    assert check.ok
    # file is in unit order and its excerpts are the units' openings
    assert list(gold["unit_id"]) == list(units["unit_id"])
    assert list(gold["doc_id"]) == list(units["doc_id"])
    assert all(t.startswith(e) and e for e, t in zip(gold["excerpt"], units["text"], strict=True))


def test_changed_segmentation_is_detected(gold, seed_documents, units):
    sentences = preprocess_documents(seed_documents, {"unit": "sentence"}).units
    check = check_gold(gold, sentences)
    assert not check.ok
    assert set(check.orphans) == set(units["unit_id"])
    assert set(check.unlabeled) == set(sentences["unit_id"])
    assert "re-annotate" in check.describe()


def test_every_theme_has_three_positives_and_some_units_have_none(gold, ids):
    stats = label_stats(gold, ids)
    per_theme = stats[stats["kind"] == "theme"]["count"]
    assert list(per_theme.index) == ids
    assert (per_theme >= 3).all(), per_theme.to_dict()
    by_size = stats[stats["kind"] == "n_themes"]["count"]
    assert by_size.sum() == len(gold) == 113
    assert by_size["0"] >= 1 and by_size["2+"] >= 1


def test_label_matrix_is_aligned_multi_hot(gold, units, ids):
    y = label_matrix(gold, units, ids)
    assert y.shape == (113, 7) and y.dtype == np.int8
    assert set(np.unique(y)) <= {0, 1}
    stats = label_stats(gold, ids)
    assert list(y.sum(axis=0)) == list(stats.loc[ids, "count"])
    # a known borderline call: the 风险防控 assistant "工小审" is an application, not safety
    row = int(np.flatnonzero(units["text"].str.contains("工小审").to_numpy())[0])
    assert y[row, ids.index("applications")] == 1 and y[row, ids.index("safety")] == 0
    # reversed units order gives reversed rows
    assert (label_matrix(gold, units.iloc[::-1], ids) == y[::-1]).all()


def test_label_matrix_refuses_unlabeled_units(gold, seed_documents, ids):
    sentences = preprocess_documents(seed_documents, {"unit": "sentence"}).units
    with pytest.raises(InputError, match="no gold label"):
        label_matrix(gold, sentences, ids)


def _copy_with(tmp_path, line_no: int, change: dict):
    lines = default_gold_path().read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[line_no - 1])
    rec.update(change)
    lines[line_no - 1] = json.dumps(rec, ensure_ascii=False)
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_invalid_theme_id_names_file_and_line(tmp_path):
    path = _copy_with(tmp_path, 2, {"themes": ["talent", "weather"]})
    with pytest.raises(InputError, match=rf"{path.name}:2: unknown theme id.*weather"):
        load_gold(path)


def test_duplicate_unit_and_bad_json_are_located(tmp_path):
    first = json.loads(default_gold_path().read_text(encoding="utf-8").splitlines()[0])
    path = _copy_with(tmp_path, 3, {"unit_id": first["unit_id"]})
    with pytest.raises(InputError, match=r"gold.jsonl:3: .*already labeled on line 1"):
        load_gold(path)
    path.write_text('{"unit_id": "x", "doc_id": "d", "themes": []}\n{oops\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"gold.jsonl:2: not valid JSON"):
        load_gold(path)

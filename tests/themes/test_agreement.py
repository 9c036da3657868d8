from __future__ import annotations

import importlib.util
import math

import pandas as pd
import pytest

from topics.data.types import InputError
from topics.preprocess.pipeline import preprocess_documents
from topics.themes import (
    agreement,
    default_gold_path,
    disagreements,
    load_gold,
    load_taxonomy,
    theme_ids,
)

GOLD_DIR = default_gold_path().parent
SCRIPT = GOLD_DIR.parents[1] / "scripts" / "gold_agreement.py"


def _pass(labels: dict[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame({"unit_id": list(labels), "doc_id": "d", "themes": list(labels.values())})


def test_kappa_matches_a_hand_computed_example():
    # x: a=1100, b=1000 -> p_o=3/4, p_e=.5*.25+.5*.75=.5, kappa=(.75-.5)/(1-.5)=0.5
    # y: a=1010, b=0101 -> p_o=0, p_e=.5, kappa=-1;  z: never used -> kappa undefined
    a = _pass({"u1": ["x", "y"], "u2": ["x"], "u3": ["y"], "u4": []})
    b = _pass({"u4": ["y"], "u3": [], "u2": ["y"], "u1": ["x"]})  # other order on purpose
    table = agreement(a, b, ["x", "y", "z"])
    assert list(table.index) == ["x", "y", "z", "macro"]
    assert table.loc["x", "kappa"] == pytest.approx(0.5)
    assert table.loc["y", "kappa"] == pytest.approx(-1.0)
    assert math.isnan(table.loc["z", "kappa"])
    assert table.loc["macro", "kappa"] == pytest.approx(-0.25)  # mean of the defined ones
    assert table.loc["x", "agreement"] == pytest.approx(0.75)
    assert table.loc["y", "agreement"] == 0.0 and table.loc["z", "agreement"] == 1.0
    assert table.loc["x", ["n_a", "n_b", "n_both"]].tolist() == [2, 1, 1]
    diff = disagreements(a, b, ["x", "y", "z"])
    assert diff["unit_id"].tolist() == ["u1", "u2", "u3", "u4"]
    assert diff.set_index("unit_id").loc["u2", "only_a"] == ["x"]
    assert diff.set_index("unit_id").loc["u2", "only_b"] == ["y"]


def test_passes_over_different_units_are_refused():
    with pytest.raises(InputError, match="different units.*1 only in the first"):
        agreement(_pass({"u1": [], "u2": []}), _pass({"u1": []}), ["x"])


@pytest.fixture(scope="module")
def passes():
    ids = theme_ids(load_taxonomy())
    a = load_gold(GOLD_DIR / "annotations" / "pass1.jsonl", ids)
    b = load_gold(GOLD_DIR / "annotations" / "pass2.jsonl", ids)
    return a, b, load_gold(theme_ids=ids), ids


def test_adjudication_changes_only_disagreements_and_says_so(passes):
    a, b, final, ids = passes
    assert list(a["unit_id"]) == list(b["unit_id"]) == list(final["unit_id"])
    differ = set(disagreements(a, b, ids)["unit_id"])
    for uid, t_a, t_b, t_f, note in zip(
        a["unit_id"], a["themes"], b["themes"], final["themes"], final["note"], strict=True
    ):
        if uid not in differ:
            assert set(t_f) == set(t_a) == set(t_b), uid
        else:
            assert "adjudicated" in note and "rule A" in note, uid
    # the rules named in the notes exist in the guide
    guide = (GOLD_DIR / "ANNOTATION_GUIDE.md").read_text(encoding="utf-8")
    assert "## Adjudication rules" in guide
    for note in final["note"]:
        for token in note.split():
            if token.startswith("A") and token.rstrip(")").lstrip("A").isdigit():
                assert f"**{token.rstrip(')')}." in guide, token


def test_agreement_report_is_up_to_date(passes, seed_documents):
    a, b, final, ids = passes
    spec = importlib.util.spec_from_file_location("gold_agreement", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    units = preprocess_documents(seed_documents, {"unit": "paragraph"}).units
    guide = (GOLD_DIR / "ANNOTATION_GUIDE.md").read_text(encoding="utf-8")
    quoted = script.guide_quoted_units(guide, units)
    assert quoted < set(units["unit_id"]) and quoted
    fresh = script.render(a, b, final, quoted, ids).splitlines()
    stored = (GOLD_DIR / "AGREEMENT.md").read_text(encoding="utf-8").splitlines()

    def body(lines):
        return [ln for ln in lines if not ln.startswith("_Generated")]

    assert body(fresh) == body(stored), "run scripts/gold_agreement.py to refresh AGREEMENT.md"

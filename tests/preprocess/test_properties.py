"""Property-based invariants of normalization and segmentation."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from topics.data.types import Document
from topics.preprocess.normalize import normalize_for_model
from topics.preprocess.pipeline import preprocess_documents

_CHARS = st.sampled_from(list("大模型金融银行人才算力安全数据。，！？“”「」 abcXYZ.!?123\n\n\t-"))
_TEXT = st.lists(_CHARS, min_size=0, max_size=400).map("".join)


@settings(max_examples=60, deadline=None)
@given(_TEXT, st.sampled_from(["paragraph", "sentence", "window"]))
def test_offsets_map_back_and_nothing_is_lost_unreported(text, unit):
    doc = Document(doc_id="d", text=text)
    result = preprocess_documents([doc], {"unit": unit, "dedup": {"enabled": False}})
    for row in result.units.itertuples():
        assert text[row.start : row.end] == row.text
    report = result.report[0]
    lines = text.split("\n")
    accounted = {k["line"] for k in report["kept"]} | {d["line"] for d in report["dropped"]}
    block_lines = {i for i, line in enumerate(lines, start=1) if line.strip()}
    # every non-blank line is either kept or reported as dropped (blank-line mode may merge lines)
    assert accounted <= block_lines
    covered = set()
    for entry in report["kept"] + report["dropped"]:
        covered.add(entry["line"])
    first_lines = {n for n in block_lines if n - 1 not in block_lines}
    assert first_lines <= covered


@settings(max_examples=80, deadline=None)
@given(_TEXT)
def test_normalization_is_idempotent_and_clean(text):
    once = normalize_for_model(text)
    assert normalize_for_model(once) == once
    assert not re.search(r"[ \t]{2,}", once)
    assert all(line == line.strip() for line in once.split("\n"))

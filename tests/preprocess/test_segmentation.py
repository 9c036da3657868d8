"""Segmentation: offsets round-trip, stable ids, sentence rules, windows."""

from __future__ import annotations

import pytest

from topics.preprocess.pipeline import preprocess_documents
from topics.preprocess.segment import sentence_spans


@pytest.mark.parametrize("unit", ["paragraph", "sentence", "window"])
def test_offsets_round_trip_for_every_unit(seed_documents, unit):
    result = preprocess_documents(seed_documents, {"unit": unit})
    texts = {d.doc_id: d.text for d in seed_documents}
    assert len(result.units) > 0
    for row in result.units.itertuples():
        assert texts[row.doc_id][row.start : row.end] == row.text
    assert result.units.unit_id.is_unique


def test_unit_counts_grow_from_paragraphs_to_sentences(seed_documents):
    n = {
        u: len(preprocess_documents(seed_documents, {"unit": u}).units)
        for u in ("paragraph", "window", "sentence")
    }
    assert n["paragraph"] < n["window"] < n["sentence"]


def test_unit_ids_are_stable_and_content_derived(seed_documents):
    a = preprocess_documents(seed_documents, {"unit": "paragraph"}).units
    b = preprocess_documents(list(reversed(seed_documents)), {"unit": "paragraph"}).units
    assert set(a.unit_id) == set(b.unit_id)
    assert all(uid.startswith(doc + "#") for uid, doc in zip(a.unit_id, a.doc_id, strict=True))


def _sentences(text):
    return [text[s:e] for s, e in sentence_spans(text)]


def test_chinese_sentences_keep_quotes_with_their_sentence():
    text = "他说：“我们成立了工作专班。目前持续招聘。”李耀表示，要学习。这是第二句！"
    assert _sentences(text) == [
        "他说：“我们成立了工作专班。目前持续招聘。”李耀表示，要学习。",
        "这是第二句！",
    ]
    assert _sentences("“大模型应用将优化部分岗位。”他认为。") == [
        "“大模型应用将优化部分岗位。”他认为。"
    ]


def test_english_sentences_respect_abbreviations_and_numbers():
    text = "Mr. Smith paid 3.5 dollars. He left! Then the U.S. Army came. “Really?” she asked. OK"
    assert _sentences(text) == [
        "Mr. Smith paid 3.5 dollars.",
        "He left!",
        "Then the U.S. Army came.",
        "“Really?” she asked.",
        "OK",
    ]


def test_windows_respect_their_size(seed_documents):
    result = preprocess_documents(seed_documents, {"unit": "window", "window_chars": 120})
    lengths = result.units.text.str.len()
    single = result.units.text.map(lambda t: len(sentence_spans(t)) == 1)
    assert (lengths[~single] <= 120).all()

"""Duplicate and near-duplicate documents are detected, reported and (by default) dropped."""

from __future__ import annotations

from dataclasses import replace

from topics.preprocess.dedup import find_duplicates
from topics.preprocess.pipeline import preprocess_documents


def test_exact_and_near_duplicates_are_reported_and_dropped(seed_documents):
    base = seed_documents[0]
    exact = replace(base, doc_id="copy", source="copy.txt")
    near = replace(base, doc_id="near", text=base.text.replace("摩根大通", "摩根") + "\n补充一句。")
    result = preprocess_documents([*seed_documents, exact, near], {"unit": "paragraph"})
    dups = {d["doc_id"]: d for d in result.duplicates}
    assert dups["copy"]["kind"] == "exact" and dups["copy"]["duplicate_of"] == base.doc_id
    assert dups["near"]["kind"] == "near" and dups["near"]["similarity"] >= 0.8
    assert set(result.units.doc_id) == {d.doc_id for d in seed_documents}
    assert "Duplicates" in result.markdown()


def test_report_only_mode_keeps_duplicates(seed_documents):
    exact = replace(seed_documents[1], doc_id="copy")
    cfg = {"unit": "paragraph", "dedup": {"action": "report"}}
    result = preprocess_documents([seed_documents[1], exact], cfg)
    assert result.duplicates and (result.units.doc_id == "copy").any()


def test_distinct_seed_articles_are_not_duplicates(seed_documents):
    assert (
        find_duplicates([d.doc_id for d in seed_documents], [d.text for d in seed_documents]) == []
    )

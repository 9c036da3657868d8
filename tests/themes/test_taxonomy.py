from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from topics.data.types import InputError
from topics.themes import default_taxonomy_path, load_taxonomy, theme_ids

EXPECTED = ["talent", "compute", "data", "models", "safety", "applications", "strategy"]


def test_default_taxonomy_has_seven_complete_themes():
    themes = load_taxonomy(default_taxonomy_path())
    assert theme_ids(themes) == EXPECTED
    for t in themes:
        assert t.name_zh and t.name_en and t.definition and t.description_zh
        assert t.includes and t.excludes
        assert 15 <= len(t.keywords_zh) <= 30, t.id
        assert 10 <= len(t.keywords_en) <= 20, t.id
        assert t.keywords == t.keywords_zh + t.keywords_en
        assert all(k == k.lower() for k in t.keywords_en), t.id
    assert themes[0].name_zh == "人才"


def test_keywords_are_unique_within_lists_and_across_themes():
    owner: dict[str, str] = {}
    for t in load_taxonomy():
        for words in (t.keywords_zh, t.keywords_en):
            assert len({k.lower() for k in words}) == len(words), t.id
        # a Latin term (GPU, RAG) may sit in both lists of one theme: zh feeds guided topic models
        for k in {k.lower() for k in t.keywords}:
            assert k not in owner, f"{k!r} is a keyword of both {owner[k]} and {t.id}"
            owner[k] = t.id


def test_hydra_node_and_default_give_the_same_taxonomy():
    node = OmegaConf.load(default_taxonomy_path())
    assert node.name == "default"
    assert load_taxonomy(node) == load_taxonomy()


def test_safety_excludes_risk_control_applications():
    safety = {t.id: t for t in load_taxonomy()}["safety"]
    assert any("智能风控" in e for e in safety.excludes)


def _write(tmp_path, themes):
    path = tmp_path / "tax.yaml"
    OmegaConf.save(OmegaConf.create({"name": "t", "themes": themes}), path)
    return path


def _entry(theme_id: str) -> dict:
    raw = OmegaConf.to_container(OmegaConf.load(default_taxonomy_path()))
    entry = dict(raw["themes"][0])
    entry["id"] = theme_id
    return entry


def test_missing_field_names_theme_and_field(tmp_path):
    bad = _entry("talent")
    del bad["description_zh"]
    with pytest.raises(InputError, match=r"theme 'talent'.*description_zh"):
        load_taxonomy(_write(tmp_path, [bad]))


def test_keywords_need_both_languages(tmp_path):
    bad = _entry("talent")
    bad["keywords"] = {"zh": ["人才"]}
    with pytest.raises(InputError, match=r"theme 'talent'.*keywords"):
        load_taxonomy(_write(tmp_path, [bad]))


def test_duplicate_ids_are_rejected(tmp_path):
    with pytest.raises(InputError, match="'talent' is used twice"):
        load_taxonomy(_write(tmp_path, [_entry("talent"), _entry("talent")]))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match="nope.yaml"):
        load_taxonomy(tmp_path / "nope.yaml")

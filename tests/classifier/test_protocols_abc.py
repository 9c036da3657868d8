"""Protocols A/B/C, the paired test and plain-array persistence on tiny data (fast)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from topics.classifier import build_classifier
from topics.classifier.model.persist import load_classifier, save_classifier
from topics.classifier.protocols.authored import (
    LabeledSet,
    authored_groups,
    concat,
    drop_own_keywords,
    paired_bootstrap,
    protocol_a,
    protocol_b,
    protocol_c,
)
from topics.data.types import InputError
from topics.themes.taxonomy import Theme


def _theme(tid: str, zh: tuple[str, ...], en: tuple[str, ...]) -> Theme:
    return Theme(tid, tid, tid, f"about {tid}", (tid,), ("other",), zh, en, f"{tid} 主题")


THEMES = [
    _theme("talent", ("招聘", "培训"), ("hiring",)),
    _theme("compute", ("算力", "芯片"), ("gpu",)),
]
KEYWORDS = {"method": "keywords", "grid": None, "inner_splits": 3, "seed": 0}


def _set(rows: list[tuple[str, list[int], str]], prefix: str) -> LabeledSet:
    return LabeledSet(
        [r[0] for r in rows],
        np.array([r[1] for r in rows], dtype=np.int8),
        np.array([r[2] for r in rows]),
        [f"{prefix}{i}" for i in range(len(rows))],
    )


@pytest.fixture
def authored() -> LabeledSet:
    rows = [
        ("银行扩大招聘", [1, 0]),
        ("员工培训计划", [1, 0]),
        ("hiring data scientists", [1, 0]),
        ("新建算力中心", [0, 1]),
        ("采购芯片", [0, 1]),
        ("gpu cluster online", [0, 1]),
        ("招聘算力工程师", [1, 1]),
        ("季度利润上升", [0, 0]),
        ("网点装修完成", [0, 0]),
    ]
    groups = authored_groups(len(rows), 3, seed=0)
    return _set([(t, y, g) for (t, y), g in zip(rows, groups, strict=True)], "a")


@pytest.fixture
def gold() -> LabeledSet:
    rows = [
        ("公司加快招聘", [1, 0], "doc1"),
        ("算力紧张", [0, 1], "doc1"),
        ("培训与芯片", [1, 1], "doc2"),
        ("董事会换届", [0, 0], "doc2"),
        ("独有词专访", [1, 0], "doc3"),
        ("gpu 租赁", [0, 1], "doc3"),
    ]
    return _set(rows, "g")


def test_authored_groups_are_seeded_bins():
    groups = authored_groups(10, 3, seed=1)
    assert sorted(set(groups)) == ["authored/0", "authored/1", "authored/2"]
    assert np.array_equal(groups, authored_groups(10, 3, seed=1))
    with pytest.raises(InputError):
        authored_groups(10, 1, seed=1)


def test_protocol_a_never_sees_gold_labels(authored, gold):
    clf = build_classifier(KEYWORDS, THEMES)
    res, model = protocol_a(clf, authored, gold, n_resamples=50, seed=0)
    flipped = LabeledSet(gold.texts, 1 - gold.Y, gold.groups, gold.ids)
    res2, model2 = protocol_a(clf, authored, flipped, n_resamples=50, seed=0)
    assert np.array_equal(res.pred, res2.pred) and np.array_equal(res.scores, res2.scores)
    assert np.array_equal(model.thresholds_, model2.thresholds_)
    assert res.fits[0]["n_train"] == len(authored) and res.protocol == "A"
    assert res.pred[0, 0] == 1 and res.pred[1, 1] == 1  # 招聘 -> talent, 算力 -> compute
    s = res.summary
    assert s["themes/macro_f1_ci_low"] <= s["themes/macro_f1"] <= s["themes/macro_f1_ci_high"]
    # C scores other texts with the same fitted model
    c = protocol_c(model, gold.with_texts(["公司加快招聘", "", "", "", "", ""]), n_resamples=10)
    assert c.protocol == "C" and c.pred[0, 0] == 1 and c.pred[1:].sum() == 0


def test_protocol_b_holds_each_article_out(authored, gold):
    clf = build_classifier({**KEYWORDS, "method": "keywords"}, THEMES)
    res = protocol_b(clf, authored, gold, n_resamples=20, seed=0)
    assert [f["held_out"] for f in res.fits] == [["doc1"], ["doc2"], ["doc3"]]
    assert all(f["n_train"] == len(authored) + 4 for f in res.fits)
    assert not np.isnan(res.scores).any()
    # labels of the held-out article change nothing of its own predictions
    test = gold.groups == "doc3"
    Y = gold.Y.copy()
    Y[test] = 1 - Y[test]
    res2 = protocol_b(
        clf, authored, LabeledSet(gold.texts, Y, gold.groups, gold.ids), n_resamples=5
    )
    assert np.array_equal(res.pred[test], res2.pred[test])


def test_drop_own_keywords_removes_words_only_the_held_out_article_has():
    hook = drop_own_keywords(THEMES)
    themes = hook(["银行招聘", "采购gpu"], ["培训芯片", "招聘"])
    assert themes[0].keywords_zh == ("招聘",)  # 培训 only in the held-out text
    assert themes[1].keywords_zh == ("算力",)  # 芯片 dropped, 算力 occurs nowhere: kept
    assert themes[1].keywords_en == ("gpu",)
    # a theme left without keywords never fires
    bare = dataclasses.replace(THEMES[0], keywords_zh=(), keywords_en=())
    clf = build_classifier(KEYWORDS, [bare])
    assert clf.hits(["招聘"]).sum() == 0


def test_paired_bootstrap(authored, gold):
    clf = build_classifier(KEYWORDS, THEMES)
    res, _ = protocol_a(clf, authored, gold, n_resamples=20, seed=0)
    same = paired_bootstrap(res, res, n_resamples=200, seed=0)
    assert same.diff == 0 and same.p_value == 1.0 and same.ci_low == same.ci_high == 0
    empty = type(res)(**{**res.__dict__, "method": "none", "pred": np.zeros_like(res.pred)})
    test = paired_bootstrap(res, empty, n_resamples=300, seed=0)
    assert test.diff > 0 and test.ci_low <= test.diff <= test.ci_high
    other = LabeledSet(gold.texts, gold.Y, gold.groups, [f"x{i}" for i in range(len(gold))])
    moved = type(res)(**{**res.__dict__, "unit_ids": other.ids})
    with pytest.raises(InputError, match="different units"):
        paired_bootstrap(res, moved)


def test_concat_keeps_order(authored, gold):
    both = concat(authored, gold)
    assert len(both) == len(authored) + len(gold) and both.ids[-1] == gold.ids[-1]
    assert both.Y.shape == (len(both), 2)


@pytest.mark.parametrize(
    "cfg",
    [
        KEYWORDS,
        {"method": "embed_logreg", "C": 1.0, "grid": {"C": [0.1, 1.0]}, "inner_splits": 3},
        {"method": "embed_svm", "C": 1.0, "inner_splits": 3},
        {"method": "zeroshot", "views": ["exemplars"], "aggregate": "max", "inner_splits": 3},
        {"method": "embed_knn", "k": 3, "inner_splits": 3},
        {
            "method": "stacked",
            "members": [
                {"method": "keywords"},
                {"method": "embed_logreg", "C": 1.0},
                {"method": "zeroshot", "views": ["exemplars"], "aggregate": "mean"},
            ],
            "stack_splits": 3,
            "inner_splits": 3,
        },
        pytest.param(
            {
                "method": "stacked",
                "members": [{"method": "keywords"}, {"method": "embed_logreg", "C": 1.0}],
                "stack_splits": 3,
                "thresholds": "stack_oof",
            },
            id="stacked_oof",
        ),
        pytest.param(
            {
                "method": "stacked",
                "members": [
                    {"method": "keywords"},
                    {"method": "finetune", "epochs": 1, "batch_size": 4, "max_length": 16},
                ],
                "stack_splits": 2,
                "thresholds": "stack_oof",
            },
            id="stacked_finetune",
            marks=pytest.mark.slow,
        ),
    ],
    ids=lambda c: c["method"],
)
def test_saved_classifier_predicts_the_same(cfg, authored, gold, tmp_path):
    rng = np.random.default_rng(0)
    emb_a = rng.normal(size=(len(authored), 8)) + authored.Y @ rng.normal(size=(2, 8)) * 2
    emb_g = rng.normal(size=(len(gold), 8))
    clf = build_classifier({**cfg, "seed": 0}, THEMES).fit(authored.texts, authored.Y, emb_a)
    folder = save_classifier(clf, tmp_path / "clf")
    assert not [p for p in folder.rglob("*") if p.suffix in (".pkl", ".pickle", ".joblib")]
    loaded = load_classifier(folder)
    assert np.array_equal(loaded.thresholds_, clf.thresholds_)
    assert np.array_equal(
        loaded.predict_proba(gold.texts, emb_g), clf.predict_proba(gold.texts, emb_g)
    )


def test_stack_oof_thresholds_fit_the_members_once_per_fold(authored):
    members = [{"method": "keywords"}, {"method": "embed_logreg", "C": 1.0}]
    cfg = {"method": "stacked", "members": members, "stack_splits": 3, "seed": 0}
    emb = np.random.default_rng(0).normal(size=(len(authored), 8))
    clf = build_classifier({**cfg, "thresholds": "stack_oof"}, THEMES)
    clf.fit(authored.texts, authored.Y, emb, groups=authored.groups)
    assert clf.estimator_ is clf and len(clf.tuning_folds_) == 3
    assert clf.member_oof_.shape == (len(authored), 2, 2)
    for train, valid in clf.tuning_folds_:  # folds by group: no group on both sides
        assert not set(authored.groups[train]) & set(authored.groups[valid])
    assert clf.inner_oof_scores_.shape == authored.Y.shape
    assert ((clf.inner_oof_scores_ >= 0) & (clf.inner_oof_scores_ <= 1)).all()
    with pytest.raises(InputError, match="inner or stack_oof"):
        build_classifier({**cfg, "thresholds": "both"}, THEMES).fit(authored.texts, authored.Y, emb)
    with pytest.raises(InputError, match="takes no grid"):
        build_classifier({**cfg, "thresholds": "stack_oof", "grid": {"C": [1.0]}}, THEMES).fit(
            authored.texts, authored.Y, emb
        )


class HashEmbedder:
    """A deterministic stand-in embedder: 8 numbers from each character's code point."""

    def embed(self, texts):
        return np.array(
            [[sum(ord(c) % (k + 3) for c in t) / (1 + len(t)) for k in range(8)] for t in texts]
        )

    def identity(self) -> str:
        return "hash-8"


def test_sentence_max_pools_sentences_and_saves(authored, tmp_path):
    from topics.classifier.methods.pooled import pieces

    texts, owner = pieces(["一句话。", "第一句。第二句！"])
    assert texts == ["一句话。", "第一句。第二句！", "第一句。", "第二句！"]
    assert owner.tolist() == [0, 1, 1, 1]
    cfg = {"method": "sentence_max", "base": {"method": "keywords"}, "inner_splits": 3, "seed": 0}
    clf = build_classifier(cfg, THEMES, embedder=HashEmbedder()).fit(authored.texts, authored.Y)
    docs = ["季度利润上升。银行扩大招聘。", "季度利润上升。网点装修完成。"]
    scores = clf.predict_proba(docs)
    base = build_classifier(KEYWORDS, THEMES).fit(authored.texts, authored.Y)
    assert scores[0, 0] >= base.predict_proba(docs)[0, 0] > 0 and scores[1, 0] == 0
    loaded = load_classifier(save_classifier(clf, tmp_path / "c"), embedder=HashEmbedder())
    assert np.array_equal(loaded.predict_proba(docs), scores)


def test_unsavable_method_says_so(authored, tmp_path, tokenizer):
    clf = build_classifier(
        {"method": "tfidf_linear", "inner_splits": 3}, THEMES, tokenizer=tokenizer
    )
    clf.fit(authored.texts, authored.Y)
    with pytest.raises(InputError, match="cannot be saved as plain arrays"):
        save_classifier(clf, tmp_path / "clf")


def test_results_of_an_earlier_authored_set_are_marked_and_not_chosen(authored, gold, tmp_path):
    from topics.classifier.protocols.report import load_results, save_results
    from topics.classifier.protocols.tables import STALE, choose_default, render_markdown

    clf = build_classifier(KEYWORDS, THEMES)
    res, _ = protocol_a(clf, authored, gold, name="kw", n_resamples=20, seed=0)
    perfect = dataclasses.replace(res, method="old_best", pred=res.gold.copy())
    save_results({"A": res}, tmp_path, n_authored=len(authored))
    save_results({"A": perfect}, tmp_path, n_authored=len(authored) - 3)
    loaded = load_results(tmp_path)
    assert loaded[("kw", "A")].n_authored == len(authored)
    assert loaded[("old_best", "A")].n_authored == len(authored) - 3
    settings = {
        "methods": [{"classifier": "kw"}, {"classifier": "old_best"}],
        "paired_resamples": 50,
        "seed": 0,
        "alpha": 0.05,
        "baseline": "kw",
        "cost_order": ["kw", "old_best"],
        "n_resamples": 20,
        "results_dir": str(tmp_path),
    }
    chosen, tests = choose_default(loaded, settings)
    assert chosen == {"declared": "kw", "revised": "kw"} and tests == []
    text = render_markdown(tmp_path, settings, "render")
    old_row = next(line for line in text.splitlines() if line.startswith("| old_best |"))
    assert old_row.endswith(f"{STALE} |") and f"{len(authored) - 3} examples" in text
    assert "| kw |" in text and f"]{STALE}" not in text.split("| kw |", 1)[1].split("\n", 1)[0]

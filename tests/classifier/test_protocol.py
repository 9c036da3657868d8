"""The evaluation protocol on the seeds with the model-free methods (fast)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from topics.classifier import (
    build_classifier,
    cross_validate,
    evaluate,
    make_fold_plan,
    theme_profile,
    write_profile_heatmap,
)
from topics.classifier.protocols.metrics import bootstrap_ci, macro_micro_f1
from topics.data.types import InputError

KEYWORDS = {"method": "keywords", "grid": {"match": ["substring", "tokens"]}, "seed": 0}
TFIDF = {"method": "tfidf_linear", "grid": {"C": [1.0, 10.0]}, "seed": 0}


@pytest.fixture(scope="module")
def keyword_result(units, gold_y, themes, tokenizer):
    clf = build_classifier(KEYWORDS, themes, tokenizer=tokenizer)
    return evaluate(clf, units, gold_y, n_resamples=300)


def test_tuning_only_looks_at_training_articles(keyword_result, units):
    groups = units["doc_id"].to_numpy()
    plan = make_fold_plan(groups, inner_splits=5, seed=0)
    assert len(keyword_result.folds) == len(plan) == 5
    for fold, record in zip(plan, keyword_result.folds, strict=True):
        assert np.array_equal(record.test_idx, fold.test_idx)
        assert len(record.tuning_idx) > 0
        assert not set(record.tuning_idx) & set(record.test_idx)
        assert set(record.tuning_idx) <= set(record.train_idx)
        assert not set(groups[record.tuning_idx]) & set(groups[record.test_idx])
        # the classifier tuned on exactly the inner splits of the published plan
        assert np.array_equal(np.sort(record.tuning_idx), fold.tuning_idx())


def test_held_out_labels_do_not_change_held_out_predictions(units, gold_y, themes, tokenizer):
    """Flip every label of the test article: its scores, thresholds and predictions stay."""
    groups = units["doc_id"].to_numpy()
    plan = make_fold_plan(groups, seed=0)[:1]
    clf = build_classifier(TFIDF, themes, tokenizer=tokenizer)
    flipped = gold_y.copy()
    flipped[plan[0].test_idx] = 1 - flipped[plan[0].test_idx]
    runs = [cross_validate(clf, units["norm"], y, groups, plan) for y in (gold_y, flipped)]
    test = plan[0].test_idx
    assert np.array_equal(runs[0][0][test], runs[1][0][test])
    assert np.array_equal(runs[0][1][test], runs[1][1][test])
    assert np.array_equal(runs[0][2][0].thresholds, runs[1][2][0].thresholds)


def test_metrics_of_keywords(keyword_result, gold_y, ids):
    res = keyword_result
    table = res.per_theme
    assert list(table.index) == ids
    assert table["support"].tolist() == gold_y.sum(axis=0).tolist()
    p, r = table["precision"], table["recall"]
    assert np.allclose(table["f1"], (2 * p * r / (p + r)).fillna(0.0))
    s = res.summary
    # baselines: micro-F1 of tagging every theme everywhere, Hamming loss of tagging nothing
    prevalence = gold_y.mean()
    assert s["themes/micro_f1"] > 2 * prevalence / (1 + prevalence)
    assert s["themes/hamming_loss"] < prevalence
    assert s["themes/macro_f1_ci_low"] <= s["themes/macro_f1"] <= s["themes/macro_f1_ci_high"]
    assert s["themes/macro_f1"] == pytest.approx(table["f1"].mean())
    # the rules beat predicting nothing, and predicting every theme everywhere
    assert s["themes/macro_f1"] > s["themes/baseline_all_negative_macro_f1"] == 0.0
    assert s["themes/macro_f1"] > s["themes/baseline_all_positive_macro_f1"]
    assert res.oof_scores.shape == res.oof_pred.shape == gold_y.shape
    assert not np.isnan(res.oof_scores).any()
    frame = res.predictions_frame()
    assert len(frame) == len(gold_y) and "score/talent" in frame


def test_bootstrap_by_article_is_wider_than_by_unit(keyword_result):
    res = keyword_result
    by_article = bootstrap_ci(res.gold, res.oof_pred, np.asarray(res.doc_ids), 400, seed=1)
    by_unit = bootstrap_ci(res.gold, res.oof_pred, np.arange(len(res.gold)), 400, seed=1)
    assert by_article == bootstrap_ci(res.gold, res.oof_pred, np.asarray(res.doc_ids), 400, seed=1)
    width = {
        k: v["macro_f1"][1] - v["macro_f1"][0]
        for k, v in (("article", by_article), ("unit", by_unit))
    }
    assert width["article"] > 0 and width["unit"] > 0
    macro, micro = macro_micro_f1(res.gold, res.gold)
    assert macro == micro == 1.0


def test_figures_and_profile(keyword_result, units, ids, themes, tmp_path):
    paths = keyword_result.write_figures(tmp_path / "fig", labels=[t.name_zh for t in themes])
    assert [p.name for p in paths] == ["keywords_errors.png", "keywords_metrics.html"]
    assert all(p.is_file() and p.stat().st_size > 1000 for p in paths)
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    profile = theme_profile(units, keyword_result.oof_pred, ids)
    assert list(profile.columns) == ids
    assert list(profile.index) == list(pd.unique(units["doc_id"]))
    assert profile.to_numpy().min() >= 0 and profile.to_numpy().max() <= 1
    first = units["doc_id"].iloc[0]
    rows = (units["doc_id"] == first).to_numpy()
    assert profile.loc[first].to_numpy() == pytest.approx(keyword_result.oof_pred[rows].mean(0))
    assert profile.attrs["n_units"][first] == rows.sum()
    heat = write_profile_heatmap(profile, tmp_path / "profile.png")
    assert heat.is_file() and heat.stat().st_size > 1000


def test_bad_configs_and_inputs(units, gold_y, themes, tokenizer):
    with pytest.raises(InputError, match="use one of"):
        build_classifier({"method": "magic"}, themes)
    with pytest.raises(InputError, match="unknown key"):
        build_classifier({"method": "keywords", "alpha": 1}, themes)
    with pytest.raises(InputError, match="tunable"):
        build_classifier({"method": "keywords", "grid": {"themes": [1]}}, themes).fit(
            units["norm"], gold_y
        )
    clf = build_classifier({"method": "keywords"}, themes)
    with pytest.raises(RuntimeError, match="not fitted"):
        clf.predict(["数据治理"])
    with pytest.raises(InputError, match="shape"):
        clf.fit(units["norm"], gold_y[:, :3])
    with pytest.raises(InputError, match="one string"):
        clf.fit("数据", gold_y)
    with pytest.raises(InputError, match="taxonomy themes"):
        build_classifier({"method": "keywords"}, ["a", "b"]).fit(["x", "y"], [[1, 0], [0, 1]])
    with pytest.raises(InputError, match="topic assignments"):
        build_classifier({"method": "topic_features"}, themes).fit(units["norm"], gold_y)
    with pytest.raises(InputError, match="tokenizer"):
        build_classifier({"method": "tfidf_linear"}, themes).fit(units["norm"], gold_y)
    with pytest.raises(InputError, match="bootstrap"):
        evaluate(clf, units, gold_y, bootstrap="cluster")


def test_fitted_keyword_classifier_predicts_multi_hot(units, gold_y, themes, tokenizer):
    clf = build_classifier(KEYWORDS, themes, tokenizer=tokenizer)
    clf.fit(units["norm"], gold_y, groups=units["doc_id"])
    assert clf.classes_ == [t.id for t in themes]
    assert clf.thresholds_.shape == (len(themes),)
    pred = clf.predict(
        [
            "银行加大人才招聘和员工培训力度,培养复合型人才",
            "加强数据治理,提升数据质量,完善数据标注、数据清洗和数据中台建设",
        ]
    )
    assert set(np.unique(pred)) <= {0, 1}
    assert pred[0, clf.classes_.index("talent")] == 1
    assert pred[1, clf.classes_.index("data")] == 1

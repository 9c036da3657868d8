"""Multiclass models, lexical features, calibration and blend weights (THUCNews when present)."""

from __future__ import annotations

from collections import Counter
from math import comb

import numpy as np
import pytest

from topics.classifier.multiclass import (
    BlendClassifier,
    LexicalClassifier,
    build_single_label,
    cross_fitted_scores,
    fit_temperature,
    fit_weights,
    simplex_grid,
    softmax,
    validation_split,
)
from topics.classifier.protocols.single_label import stratified_subset
from topics.config_schema import load_option
from topics.data.types import InputError
from topics.tokenize import ChineseTokenizer


def _read(path):
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    return [r[0] for r in rows], [r[1] for r in rows]


@pytest.fixture(scope="module")
def subset(thucnews_dir):
    """3000 training and 1000 dev headlines, stratified."""
    xt, yt = _read(thucnews_dir / "thucnews_train.txt")
    xd, yd = _read(thucnews_dir / "thucnews_dev.txt")
    it, idv = stratified_subset(yt, 3000, seed=0), stratified_subset(yd, 1000, seed=0)
    return [xt[i] for i in it], [yt[i] for i in it], [xd[i] for i in idv], [yd[i] for i in idv]


# --- pure parts ---------------------------------------------------------------------------------


def test_validation_split_is_stratified_disjoint_and_seeded():
    labels = ["a"] * 500 + ["b"] * 300 + ["c"] * 200
    tr, va = validation_split(labels, 0.1, seed=1)
    assert len(va) == 100 and not set(tr) & set(va) and len(tr) + len(va) == 1000
    assert Counter(labels[i] for i in va) == {"a": 50, "b": 30, "c": 20}
    assert np.array_equal(va, validation_split(labels, 0.1, seed=1)[1])
    with pytest.raises(InputError, match="val_size"):
        validation_split(labels, 0.9, seed=1)


def test_fit_temperature_recovers_the_generating_temperature():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, size=(6000, 5))
    p = softmax(z, 2.0)
    y = np.asarray([rng.choice(5, p=row) for row in p])
    assert abs(fit_temperature(z, y) - 2.0) < 0.25


def test_simplex_grid_covers_the_simplex():
    grid = simplex_grid(3, 0.1)
    assert len(grid) == comb(10 + 2, 2)
    assert np.allclose(grid.sum(axis=1), 1.0) and (grid >= 0).all()
    with pytest.raises(InputError, match="weight_step"):
        simplex_grid(2, 0.3)


def _member(y: np.ndarray, k: int, accuracy: float, rng: np.random.Generator) -> np.ndarray:
    """Probabilities that put 0.7 on the true class with the given rate, else on a wrong one."""
    n = len(y)
    top = np.where(rng.random(n) < accuracy, y, (y + rng.integers(1, k, n)) % k)
    proba = np.full((n, k), 0.3 / (k - 1))
    proba[np.arange(n), top] = 0.7
    return proba


def test_blend_weights_recover_the_better_member():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 3000)
    good, noise = _member(y, 5, 0.9, rng), _member(y, 5, 0.2, rng)
    weights, _ = fit_weights([noise, good], y, step=0.05)
    assert weights[1] >= 0.8 and np.isclose(weights.sum(), 1.0)
    # two independent members of equal skill: the mixture beats both, with even-ish weights
    a, b = _member(y, 5, 0.8, rng), _member(y, 5, 0.8, rng)
    weights, score = fit_weights([a, b], y, step=0.05)
    assert 0.3 <= weights[0] <= 0.7
    single = max(fit_weights([a], y, 0.05)[1], fit_weights([b], y, 0.05)[1])
    assert score > single  # negated log-loss: higher is better
    acc_weights, _ = fit_weights([noise, good], y, step=0.1, objective="accuracy")
    assert acc_weights[1] >= 0.5


def test_cross_fitted_scores_do_not_reward_a_useless_member():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 5, 2000)
    good, noise = _member(y, 5, 0.85, rng), _member(y, 5, 0.2, rng)
    alone = cross_fitted_scores([good], y, seed=0)
    with_noise = cross_fitted_scores([good, noise], y, seed=0)
    # in-sample, the extra member can only help; out of sample for the weights it cannot
    assert fit_weights([good, noise], y)[1] >= fit_weights([good], y)[1]
    assert with_noise["cross_fitted/log_loss"] > alone["cross_fitted/log_loss"] - 0.005
    assert abs(alone["cross_fitted/accuracy"] - np.mean(good.argmax(1) == y)) < 1e-12
    # two independent members of equal skill still help out of sample
    a, b = _member(y, 5, 0.8, rng), _member(y, 5, 0.8, rng)
    both = cross_fitted_scores([a, b], y, seed=0)["cross_fitted/log_loss"]
    assert both < cross_fitted_scores([a], y, seed=0)["cross_fitted/log_loss"]


def test_classify_profile_keeps_what_the_topic_profile_drops():
    topics, classify = ChineseTokenizer(), ChineseTokenizer(profile="classify")
    text = "《新闻联播》发布图片：我们的2010年"
    kept = classify(text)
    for piece in ("《", "》", "发布", "图片", "我们", "2010"):
        assert any(piece in token for token in kept), (piece, kept)
    assert not {"《", "我们", "发布"} & set(topics(text))
    assert classify.fingerprint() != topics.fingerprint()
    assert topics.with_profile("classify").fingerprint() == classify.fingerprint()
    assert ChineseTokenizer(profile="topics").fingerprint() == topics.fingerprint()
    with pytest.raises(InputError, match="profile"):
        ChineseTokenizer(profile="everything")


def test_lexical_grid_keys_are_checked():
    with pytest.raises(InputError, match="grid keys"):
        LexicalClassifier(model="svm", grid={"alpha": [1e-5]}).fit(
            ["甲", "乙"] * 10, ["a", "b"] * 10
        )
    with pytest.raises(InputError, match="lexical.model"):
        LexicalClassifier(model="forest").fit(["甲", "乙"] * 10, ["a", "b"] * 10)


# --- on THUCNews headlines ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "grid"),
    [
        ("svm", {"C": [0.25, 1.0]}),
        ("nbsvm", {"C": [0.03, 0.1]}),
        ("logreg", {"C": [10.0, 30.0]}),
        ("sgd", {"alpha": [1e-5, 1e-4]}),
    ],
)
def test_lexical_models_on_thucnews_subset(subset, tokenizer, model, grid):
    xt, yt, xd, yd = subset
    clf = LexicalClassifier(model=model, grid=grid, tokenizer=tokenizer, seed=0).fit(xt, yt)
    assert set(clf.best_params_.items()) <= {(k, v) for k, vs in grid.items() for v in vs}
    assert len(clf.grid_scores_) == 2 and "refitted" in clf.trained_on_
    proba = clf.predict_proba(xd)
    assert proba.shape == (1000, 10) and np.allclose(proba.sum(axis=1), 1.0)
    accuracy = float((clf.predict(xd) == np.asarray(yd)).mean())
    assert accuracy > 0.7, accuracy  # chance is 0.1


def test_word_ngrams_add_features_to_character_ngrams(subset, tokenizer):
    xt, yt, _, _ = subset
    both = LexicalClassifier(tokenizer=tokenizer, seed=0).fit(xt, yt)
    chars = LexicalClassifier(word_ngrams=None, seed=0).fit(xt, yt)
    assert both.n_features_ > chars.n_features_
    assert [name for name, _ in both.features_.transformer_list] == ["char", "word"]


def test_choices_never_see_the_eval_labels(thucnews_dir, tokenizer, tmp_path):
    """Shuffling the evaluation file's labels changes no choice and no prediction."""
    from omegaconf import OmegaConf

    from topics.classifier.protocols.single_label import run_single_label

    train = (thucnews_dir / "thucnews_train.txt").read_text(encoding="utf-8").splitlines()[:2000]
    dev = (thucnews_dir / "thucnews_dev.txt").read_text(encoding="utf-8").splitlines()[:500]
    rng = np.random.default_rng(0)
    shuffled = [
        line.split("\t")[0] + "\t" + lab
        for line, lab in zip(dev, rng.permutation([d.split("\t")[1] for d in dev]), strict=True)
    ]
    (tmp_path / "train.txt").write_text("\n".join(train) + "\n", encoding="utf-8")
    cfg = {"method": "lexical", "model": "svm", "grid": {"C": [0.25, 1.0]}, "seed": 0}
    results = []
    for name, lines in (("dev", dev), ("shuffled", shuffled)):
        (tmp_path / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        data = OmegaConf.create(
            {
                "paths": {"shared_data_dir": str(thucnews_dir)},
                "data": load_option("data", "thucnews"),
            }
        )
        data.data.path, data.data.eval_path = (
            str(tmp_path / "train.txt"),
            str(tmp_path / f"{name}.txt"),
        )
        (result,) = run_single_label(
            [cfg], OmegaConf.to_container(data, resolve=True)["data"], tokenizer=tokenizer
        )
        results.append(result)
    assert results[0].chosen == results[1].chosen
    assert results[0].predictions == results[1].predictions
    assert results[0].summary["thucnews/accuracy"] > results[1].summary["thucnews/accuracy"]


def test_blend_of_two_lexical_members(subset, tokenizer):
    xt, yt, xd, yd = subset
    members = [
        {"name": "svm", "method": "lexical", "model": "svm", "C": 0.5, "seed": 0},
        {
            "name": "chars_logreg",
            "method": "lexical",
            "model": "logreg",
            "C": 20.0,
            "word_ngrams": None,
            "seed": 0,
        },
    ]
    cfg = {"method": "blend", "members": members, "seed": 0}
    kept = build_single_label({**cfg, "refit_members": False}, tokenizer).fit(xt, yt)
    assert isinstance(kept, BlendClassifier)
    assert np.isclose(kept.weights_.sum(), 1.0) and len(kept.members_) == 2
    for _, member in kept.members_:  # members never see the validation split's labels in fit
        assert "validation split was used only" in member.trained_on_
        assert member.temperature_ > 0
    assert {"weight/svm", "weight/chars_logreg", "temperature/svm"} <= set(kept.best_params_)
    assert kept.refitted_members_ == []

    blend = build_single_label(cfg, tokenizer).fit(xt, yt)  # refit_members: the default
    assert blend.refitted_members_ == ["svm", "chars_logreg"]
    assert "then refitted on all" in blend.trained_on_
    # weights, temperatures and the blend's own validation score come from out-of-sample member
    # predictions: the same as without the refit
    np.testing.assert_array_equal(blend.weights_, kept.weights_)
    assert blend.temperature_ == kept.temperature_ and blend.val_score_ == kept.val_score_
    for (name, member), (_, before) in zip(blend.members_, kept.members_, strict=True):
        assert member.temperature_ == before.temperature_, name
        assert member.best_params_ == before.best_params_, name
        assert "refitted" in member.trained_on_
        # the refitted member is the chosen model trained on every training text
        spec = next(m for m in members if m["name"] == name)
        grid = {k: [v] for k, v in before.best_params_.items()}
        fresh = build_single_label({**spec, "grid": grid}, tokenizer).fit(xt, yt)
        np.testing.assert_allclose(
            member.decision_function(xd[:50]), fresh.decision_function(xd[:50]), atol=1e-9
        )
    accuracy = float((blend.predict(xd) == np.asarray(yd)).mean())
    assert accuracy > 0.7

from __future__ import annotations

import logging

import numpy as np
import pytest

from topics.classifier import (
    best_threshold,
    check_plan,
    inner_folds,
    make_fold_plan,
    tune_thresholds,
)
from topics.classifier.methods.thresholds import NEVER, macro_average_precision
from topics.data.types import InputError


def test_loao_plan_on_seeds_never_shares_an_article(units):
    groups = units["doc_id"].to_numpy()
    plan = make_fold_plan(groups, inner_splits=5, seed=0)
    assert len(plan) == units["doc_id"].nunique() == 5
    check_plan(plan, groups)
    for fold in plan:
        assert len(fold.test_groups) == 1
        assert set(groups[fold.test_idx]) == set(fold.test_groups)
        train_docs = set(groups[fold.train_idx])
        assert fold.test_groups[0] not in train_docs
        # inner splits: leave one of the 4 training articles out, inside the training units only
        assert len(fold.inner) == 4
        for inner_train, inner_valid in fold.inner:
            assert set(inner_valid) <= set(fold.train_idx)
            assert not set(inner_valid) & set(fold.test_idx)
            assert len(set(groups[inner_valid])) == 1
            assert not set(groups[inner_valid]) & set(groups[inner_train])


def test_check_plan_catches_a_leaky_fold(units):
    groups = units["doc_id"].to_numpy()
    plan = make_fold_plan(groups)
    leaky = plan[0].__class__(
        number=0,
        test_groups=plan[0].test_groups,
        train_idx=np.r_[plan[0].train_idx, plan[0].test_idx[:1]],
        test_idx=plan[0].test_idx,
        inner=plan[0].inner,
    )
    with pytest.raises(AssertionError):
        check_plan([leaky, *plan[1:]], groups)


def test_outer_group_kfold_and_errors():
    groups = np.repeat(["a", "b", "c", "d"], 3)
    plan = make_fold_plan(groups, inner_splits=2, outer_splits=2, seed=1)
    assert len(plan) == 2
    check_plan(plan, groups)
    with pytest.raises(InputError, match="at least two articles"):
        make_fold_plan(["a"] * 4)
    with pytest.raises(InputError, match="exceeds"):
        make_fold_plan(groups, outer_splits=9)
    with pytest.raises(InputError, match="inner_splits"):
        inner_folds(10, None, n_splits=1)


def test_inner_folds_fall_back_to_units_for_one_article(caplog):
    with caplog.at_level(logging.WARNING):
        folds = inner_folds(10, ["x"] * 10, n_splits=5, seed=3)
    assert len(folds) == 5 and "one article" in caplog.text
    assert sorted(np.concatenate([va for _, va in folds]).tolist()) == list(range(10))
    with pytest.raises(InputError, match="1 training unit"):
        inner_folds(1)
    with pytest.raises(InputError, match="groups has 3"):
        inner_folds(4, ["a", "b", "c"])


def test_best_threshold_maximises_f1():
    scores = np.array([0.9, 0.8, 0.7, 0.4, 0.3, 0.1])
    y = np.array([1, 1, 0, 1, 0, 0])
    t = best_threshold(scores, y)
    # best cut keeps the top four (F1 = 6/7): midpoint between 0.4 and 0.3
    assert t == pytest.approx(0.35)
    assert best_threshold(scores, np.zeros(6)) == NEVER > 1.0
    # ties: the cut never splits equal scores
    assert best_threshold(np.array([0.5, 0.5, 0.2]), np.array([1, 0, 0])) == pytest.approx(0.35)


def test_tune_thresholds_per_column_and_shape_check():
    rng = np.random.default_rng(0)
    Y = rng.integers(0, 2, size=(40, 3))
    scores = np.clip(Y * 0.6 + rng.random((40, 3)) * 0.5, 0, 1)
    th = tune_thresholds(scores, Y)
    assert th.shape == (3,)
    assert ((scores >= th) == Y).mean() > 0.8
    chance = max(macro_average_precision(rng.random(Y.shape), Y) for _ in range(20))
    assert macro_average_precision(scores, Y) > chance + 0.2  # a random scorer ranks worse
    with pytest.raises(ValueError, match="differ in shape"):
        tune_thresholds(scores[:, :2], Y)

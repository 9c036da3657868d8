"""Fold plans of the evaluation protocol: outer leave-one-article-out, inner group CV.

Every split is by group (article id), so paragraphs of one article never sit on both sides of a
split. The outer folds give the out-of-fold predictions; the inner folds, made from the training
articles of an outer fold only, tune thresholds and hyperparameters.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import GroupKFold, KFold, LeaveOneGroupOut

from topics.data.types import InputError

log = logging.getLogger(__name__)

#: A split as (training indices, validation indices).
Split = tuple[np.ndarray, np.ndarray]


def _check_splits(n_splits: int) -> None:
    if isinstance(n_splits, bool) or not isinstance(n_splits, int) or n_splits < 2:
        raise InputError(f"classifier.inner_splits must be an integer >= 2, got {n_splits!r}")


def inner_folds(
    n: int, groups: Sequence | np.ndarray | None = None, n_splits: int = 5, seed: int | None = None
) -> list[Split]:
    """Return the tuning splits of ``n`` training items.

    Args:
        n: Number of training items.
        groups: Group (article) of each item. With at least two groups the splits are by group:
            leave-one-group-out when there are at most ``n_splits`` groups, else ``GroupKFold``.
            ``None`` (or a single group) gives shuffled ``KFold`` over items.
        n_splits: Most splits to make (capped by the number of groups or items).
        seed: Shuffling seed of ``KFold``.

    Raises:
        InputError: Fewer than two items, a bad ``n_splits`` or ``groups`` of the wrong length.
    """
    _check_splits(n_splits)
    if n < 2:
        raise InputError(f"cannot tune a classifier on {n} training unit(s); label more units")
    index = np.arange(n)
    if groups is not None:
        groups = np.asarray(groups)
        if len(groups) != n:
            raise InputError(f"groups has {len(groups)} entries for {n} training units")
        n_groups = len(np.unique(groups))
        if n_groups >= 2:
            splitter = LeaveOneGroupOut() if n_groups <= n_splits else GroupKFold(n_splits=n_splits)
            return [(tr, va) for tr, va in splitter.split(index, groups=groups)]
        log.warning(
            "all %d training units belong to one article; tuning splits fall back to unit KFold",
            n,
        )
    folds = KFold(n_splits=min(n_splits, n), shuffle=True, random_state=seed)
    return [(tr, va) for tr, va in folds.split(index)]


@dataclass(frozen=True)
class Fold:
    """One outer fold with its inner tuning splits, all as indices into the full unit table.

    Attributes:
        number: Position of the fold (0-based).
        test_groups: Groups (articles) held out.
        train_idx: Indices of the training units.
        test_idx: Indices of the held-out units.
        inner: Tuning splits made from ``train_idx`` only.
    """

    number: int
    test_groups: tuple[str, ...]
    train_idx: np.ndarray
    test_idx: np.ndarray
    inner: tuple[Split, ...]

    def tuning_idx(self) -> np.ndarray:
        """Return every index that the inner tuning looks at (a subset of ``train_idx``)."""
        parts = [np.concatenate([tr, va]) for tr, va in self.inner]
        return np.unique(np.concatenate(parts)) if parts else np.array([], dtype=int)


def make_fold_plan(
    groups: Sequence | np.ndarray,
    inner_splits: int = 5,
    outer_splits: int | None = None,
    seed: int | None = None,
) -> list[Fold]:
    """Return the outer folds (leave-one-group-out by default) and their inner splits.

    Args:
        groups: Group (article id) of each unit.
        inner_splits: Most inner splits per outer fold (see :func:`inner_folds`).
        outer_splits: ``None`` for leave-one-group-out; an integer for ``GroupKFold``.
        seed: Seed of any shuffled split.

    Raises:
        InputError: Fewer than two groups, or fewer groups than ``outer_splits``.
    """
    groups = np.asarray(groups).astype(str)
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise InputError(
            f"leave-one-article-out needs at least two articles (doc_id), found {n_groups}"
        )
    if outer_splits is None:
        outer = LeaveOneGroupOut()
    else:
        _check_splits(outer_splits)
        if outer_splits > n_groups:
            raise InputError(f"outer_splits={outer_splits} exceeds the {n_groups} articles")
        outer = GroupKFold(n_splits=outer_splits)
    plan = []
    index = np.arange(len(groups))
    for number, (train, test) in enumerate(outer.split(index, groups=groups)):
        inner = inner_folds(len(train), groups[train], inner_splits, seed)
        plan.append(
            Fold(
                number=number,
                test_groups=tuple(sorted(set(groups[test]))),
                train_idx=train,
                test_idx=test,
                inner=tuple((train[tr], train[va]) for tr, va in inner),
            )
        )
    return plan


def check_plan(plan: Sequence[Fold], groups: Sequence | np.ndarray) -> None:
    """Raise ``AssertionError`` if any fold leaks: shared groups or tuning on test units."""
    groups = np.asarray(groups).astype(str)
    seen_test: list[int] = []
    for fold in plan:
        test, train = set(fold.test_idx.tolist()), set(fold.train_idx.tolist())
        problems = {
            "a unit is both train and test": bool(test & train),
            "an article is on both sides": bool(
                set(groups[fold.test_idx]) & set(groups[fold.train_idx])
            ),
            "inner tuning looks outside the training units": not set(fold.tuning_idx().tolist())
            <= train,
        }
        for problem, found in problems.items():
            if found:
                raise AssertionError(f"fold {fold.number}: {problem}")
        seen_test.extend(fold.test_idx.tolist())
    if sorted(seen_test) != list(range(len(groups))):
        raise AssertionError("every unit must be tested exactly once")

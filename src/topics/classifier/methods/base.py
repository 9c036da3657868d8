"""The contract of every theme classifier and the tuning loop they share.

``fit(texts, Y, embeddings=None, topics=None, groups=None)`` tunes hyperparameters (a small grid)
and per-theme thresholds on inner group-CV splits of the data it is given, then fits the final
model on all of it. It never sees anything else, so an evaluation that calls ``fit`` on training
articles only cannot leak test labels into thresholds or hyperparameters.

Subclasses implement ``_fit_core(data, Y)`` (learn from labels, no tuning) and ``_score(data)``
(scores in [0, 1]); they may override ``_prepare`` (fit-time input transform, e.g. a fine-tuned
encoder) and ``_transform`` (the same transform at predict time).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import ParameterGrid

from topics.classifier.methods.folds import Split, inner_folds
from topics.classifier.methods.thresholds import macro_average_precision, tune_thresholds
from topics.data.types import InputError, text_list
from topics.themes.taxonomy import Theme

#: Constructor arguments that are settings of the protocol, not tunable hyperparameters.
_NOT_TUNABLE = {"themes", "grid", "inner_splits", "seed", "embedder", "tokenizer"}


@dataclass(frozen=True)
class Inputs:
    """Aligned inputs of a batch of units.

    Attributes:
        texts: Unit texts (the normalized ``norm`` column for the seed units).
        embeddings: ``(n, d)`` float vectors, or ``None``.
        topics: Topic assignments: ``(n,)`` topic ids, or ``(n, 2)`` ids and probabilities.
    """

    texts: list[str]
    embeddings: np.ndarray | None = None
    topics: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, idx: np.ndarray) -> Inputs:
        """Return the rows ``idx``."""
        return Inputs(
            texts=[self.texts[i] for i in idx],
            embeddings=None if self.embeddings is None else self.embeddings[idx],
            topics=None if self.topics is None else self.topics[idx],
        )


def make_inputs(
    texts: Sequence[str], embeddings: np.ndarray | None = None, topics: np.ndarray | None = None
) -> Inputs:
    """Validate and bundle the inputs of a batch.

    Raises:
        InputError: ``texts`` is one string or holds a non-string, or an array has the wrong
            number of rows or dimensions.
    """
    items = text_list(texts, "classifier texts")
    arrays = {}
    for name, value, ndims in (("embeddings", embeddings, (2,)), ("topics", topics, (1, 2))):
        if value is None:
            arrays[name] = None
            continue
        arr = np.asarray(value)
        if arr.ndim not in ndims or len(arr) != len(items):
            raise InputError(
                f"{name} has shape {arr.shape}; expected {len(items)} rows and "
                f"{' or '.join(map(str, ndims))} dimension(s), one row per text"
            )
        arrays[name] = arr
    return Inputs(items, arrays["embeddings"], arrays["topics"])


def check_labels(Y: Any, n: int, k: int) -> np.ndarray:
    """Return ``Y`` as an ``int8`` multi-hot ``(n, k)`` array, or raise ``InputError``."""
    arr = np.asarray(Y)
    if arr.shape != (n, k):
        raise InputError(f"labels have shape {arr.shape}; expected ({n}, {k}): units x themes")
    if not np.isin(arr, (0, 1)).all():
        raise InputError("labels must be multi-hot: 0 or 1 in every cell")
    return arr.astype(np.int8)


def class_ids(themes: Sequence[Theme | str]) -> list[str]:
    """Return the ids of ``themes`` (``Theme`` objects or plain class names)."""
    ids = [t.id if isinstance(t, Theme) else str(t) for t in themes]
    if not ids or len(set(ids)) != len(ids):
        raise InputError(f"classes must be a non-empty list of distinct ids, got {ids}")
    return ids


class ThemeClassifier(ClassifierMixin, BaseEstimator):
    """Base of the multi-label theme classifiers (see the module docstring).

    A scikit-learn estimator: ``get_params``/``set_params`` come from ``BaseEstimator``, so
    ``sklearn.base.clone``, ``GridSearchCV`` and ``Pipeline`` work on it (``X`` is a list of
    texts, ``y`` the multi-hot label matrix). :meth:`spawn` is the cheap copy used inside
    ``fit``: unlike ``clone`` it shares the embedder instead of deep-copying the model.

    Attributes:
        method: Registry name of the method.
        needs_embeddings: ``fit``/``predict`` need unit embeddings (computed with the
            ``embedder`` argument when not passed).
        needs_topics: ``fit``/``predict`` need topic assignments (``topics=``).
        classes_: Theme ids, in column order (after ``fit``).
        thresholds_: Per-theme thresholds tuned on inner splits (after ``fit``).
        best_params_: Chosen hyperparameters (after ``fit``).
        grid_scores_: Inner macro average precision per grid candidate (after ``fit``).
        tuning_folds_: The inner splits used, as indices into the data given to ``fit``.
        inner_oof_scores_: Inner out-of-fold scores of the best candidate (thresholds' input).
        estimator_: The final fitted model (same class, best hyperparameters).
        fit_seconds_: Wall time of ``fit``.
    """

    method: ClassVar[str] = "base"
    needs_embeddings: ClassVar[bool] = False
    needs_topics: ClassVar[bool] = False

    def __init__(
        self,
        themes: Sequence[Theme | str],
        grid: Mapping[str, Sequence[Any]] | None = None,
        inner_splits: int = 5,
        seed: int | None = None,
    ) -> None:
        self.themes = themes
        self.grid = grid
        self.inner_splits = inner_splits
        self.seed = seed

    # --- parameters -----------------------------------------------------------------------

    def spawn(self, **overrides: Any) -> ThemeClassifier:
        """Return an unfitted copy with some constructor arguments replaced (shallow)."""
        return type(self)(**{**self.get_params(deep=False), **overrides})

    def _candidates(self) -> list[dict[str, Any]]:
        if not self.grid:
            return [{}]
        allowed = set(self.get_params(deep=False)) - _NOT_TUNABLE
        grid = {str(k): list(v) for k, v in dict(self.grid).items()}
        bad = sorted(set(grid) - allowed)
        if bad or any(not v for v in grid.values()):
            raise InputError(
                f"classifier '{self.method}': grid keys {bad or list(grid)} must be non-empty "
                f"lists of tunable arguments: {sorted(allowed)}"
            )
        return list(ParameterGrid(grid))

    # --- fit / predict --------------------------------------------------------------------

    def _inputs(self, texts: Sequence[str], embeddings: Any, topics: Any) -> Inputs:
        data = make_inputs(texts, embeddings, topics)
        if self.needs_embeddings and data.embeddings is None:
            embedder = getattr(self, "embedder", None)
            if embedder is None:
                raise InputError(
                    f"classifier '{self.method}' needs embeddings: pass embeddings= or build "
                    "it with an embedder (build_classifier(cfg, themes, embedder=...))"
                )
            data = replace(data, embeddings=np.asarray(embedder.embed(data.texts)))
        if self.needs_topics and data.topics is None:
            raise InputError(
                f"classifier '{self.method}' needs topic assignments: pass topics= (one topic "
                "id per unit from the topic_model stage, optionally with its probability)"
            )
        return data

    def fit(
        self,
        texts: Sequence[str],
        Y: Any,
        embeddings: np.ndarray | None = None,
        topics: np.ndarray | None = None,
        groups: Sequence | np.ndarray | None = None,
    ) -> ThemeClassifier:
        """Tune on inner splits of the given units, then fit on all of them.

        Args:
            texts: Unit texts.
            Y: Multi-hot gold labels ``(n, k)`` in the order of ``themes``.
            embeddings: Unit embeddings (methods that need them compute them when absent).
            topics: Topic assignments (``topic_features`` only).
            groups: Article id per unit: inner splits keep articles whole.

        Returns:
            ``self``.
        """
        start = time.perf_counter()
        data, Y = self._fit_inputs(texts, Y, embeddings, topics)
        data = self._prepare(data, Y)
        self.tuning_folds_ = inner_folds(len(data), groups, self.inner_splits, self.seed)
        oof_by_candidate = [
            self._inner_scores(data, Y, params, self.tuning_folds_) for params in self._candidates()
        ]
        ranking = [macro_average_precision(oof, Y) for _, oof in oof_by_candidate]
        self.grid_scores_ = [
            {**params, "inner_macro_ap": score}
            for (params, _), score in zip(oof_by_candidate, ranking, strict=True)
        ]
        best = int(np.nanargmax(ranking)) if not np.isnan(ranking).all() else 0
        self.best_params_, inner_oof = oof_by_candidate[best]
        self.thresholds_ = tune_thresholds(inner_oof, Y)
        self.inner_oof_scores_ = inner_oof
        self.estimator_ = self.spawn(**self.best_params_)._fit_core(data, Y)
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _fit_inputs(
        self, texts: Sequence[str], Y: Any, embeddings: Any, topics: Any
    ) -> tuple[Inputs, np.ndarray]:
        """Set ``classes_``; return the checked inputs and labels of a ``fit`` call."""
        self.classes_ = class_ids(self.themes)
        data = self._inputs(texts, embeddings, topics)
        return data, check_labels(Y, len(data), len(self.classes_))

    def _record_one_pass(
        self, folds: list[Split], scores: np.ndarray, Y: np.ndarray, start: float
    ) -> None:
        """Finish a fit that tunes nothing but thresholds, on out-of-fold ``scores`` of ``Y``."""
        self.tuning_folds_ = folds
        self.inner_oof_scores_ = scores
        self.thresholds_ = tune_thresholds(scores, Y)
        self.best_params_: dict[str, Any] = {}
        self.grid_scores_ = [{"inner_macro_ap": macro_average_precision(scores, Y)}]
        self.estimator_ = self
        self.fit_seconds_ = time.perf_counter() - start

    def _inner_scores(
        self, data: Inputs, Y: np.ndarray, params: dict[str, Any], folds: list[Split]
    ) -> tuple[dict[str, Any], np.ndarray]:
        """Return ``params`` and the out-of-fold scores of the inner splits."""
        oof = np.zeros(Y.shape, dtype=float)
        for train, valid in folds:
            model = self.spawn(**params)._fit_core(data.take(train), Y[train])
            oof[valid] = model._score(data.take(valid))
        return params, oof

    def predict_proba(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray | None = None,
        topics: np.ndarray | None = None,
    ) -> np.ndarray:
        """Return ``(n, k)`` theme scores in [0, 1]."""
        if not hasattr(self, "estimator_"):
            raise RuntimeError(f"classifier '{self.method}' is not fitted; call fit() first")
        data = self._transform(self._inputs(texts, embeddings, topics))
        if len(data) == 0:
            return np.zeros((0, len(self.classes_)))
        return np.clip(self.estimator_._score(data), 0.0, 1.0)

    def predict(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray | None = None,
        topics: np.ndarray | None = None,
    ) -> np.ndarray:
        """Return the ``(n, k)`` multi-hot prediction: score >= the theme's threshold."""
        scores = self.predict_proba(texts, embeddings, topics)
        return (scores >= self.thresholds_).astype(np.int8)

    # --- hooks ----------------------------------------------------------------------------

    def _prepare(self, data: Inputs, Y: np.ndarray) -> Inputs:
        """Fit-time input transform learned once on all training units (default: none)."""
        return data

    def _transform(self, data: Inputs) -> Inputs:
        """Predict-time counterpart of :meth:`_prepare` (default: none)."""
        return data

    def _fit_core(self, data: Inputs, Y: np.ndarray) -> ThemeClassifier:
        """Learn the model from labeled inputs (no tuning) and return ``self``."""
        raise NotImplementedError

    def _score(self, data: Inputs) -> np.ndarray:
        """Return ``(n, k)`` scores of a model fitted by :meth:`_fit_core`."""
        raise NotImplementedError

    # --- plain-array state (see topics.classifier.model.persist) ----------------------------------

    def _get_state(self, arrays: dict[str, np.ndarray], prefix: str, folder: Path) -> dict:
        """Store the state of a model fitted by :meth:`_fit_core`; return JSON metadata.

        Arrays go into ``arrays`` (keys starting with ``prefix``), other files under ``folder``.
        """
        raise InputError(
            f"classifier '{self.method}' cannot be saved as plain arrays (no pickle); "
            "use keywords, zeroshot, embed_logreg, embed_svm, embed_knn, stacked or finetune"
        )

    def _set_state(
        self, state: dict, arrays: Mapping[str, np.ndarray], prefix: str, folder: Path
    ) -> None:
        """Restore what :meth:`_get_state` stored."""
        raise InputError(f"classifier '{self.method}' has no plain-array state to restore")

    def __repr__(self) -> str:
        params = self.get_params(deep=False)
        shown = {k: v for k, v in params.items() if k not in ("themes", "embedder")}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

"""One binary model per theme column, with constant columns handled without a model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

#: A fitted column: a model, or the constant score of a column with one class in training.
Column = Any


def fit_columns(make: Callable[[], Any], X: Any, Y: np.ndarray) -> list[Column]:
    """Fit ``make()`` on each column of ``Y``; a column with a single class keeps its value.

    The fits run with one BLAS thread: on a few thousand rows, OpenBLAS's threads cost more
    than they give (seven logistic regressions on 2,472 x 512: 1.5 s with 2 threads, 0.12 s
    with one, same coefficients), and a fixed count keeps the sums the same on any machine.
    """
    from topics.reproducibility import fixed_threads

    columns: list[Column] = []
    with fixed_threads(1):
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if y.min() == y.max():
                columns.append(float(y[0]))
            else:
                columns.append(make().fit(X, y))
    return columns


def score_columns(columns: list[Column], X: Any, n: int) -> np.ndarray:
    """Return ``(n, k)`` scores in [0, 1] from the columns of :func:`fit_columns`."""
    out = np.empty((n, len(columns)), dtype=float)
    for j, model in enumerate(columns):
        out[:, j] = model if isinstance(model, float) else _positive_score(model, X)
    return out


def _positive_score(model: Any, X: Any) -> np.ndarray:
    """Probability of the positive class, or a sigmoid of the decision function."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    return 1.0 / (1.0 + np.exp(-model.decision_function(X)))


def logistic(C: float, seed: int | None, max_iter: int = 2000) -> Callable[[], LogisticRegression]:
    """Return a factory of class-balanced logistic regressions."""
    return lambda: LogisticRegression(
        C=C, class_weight="balanced", max_iter=max_iter, random_state=seed
    )


def linear_svm(C: float, seed: int | None) -> Callable[[], LinearSVC]:
    """Return a factory of class-balanced linear SVMs (scored by a sigmoid of the margin)."""
    return lambda: LinearSVC(C=C, class_weight="balanced", random_state=seed)


#: Linear model classes that columns may hold, by the name stored in saved state.
_LINEAR = {"logistic": LogisticRegression, "linear_svm": LinearSVC}


def columns_state(columns: list[Column], arrays: dict[str, np.ndarray], prefix: str) -> list[Any]:
    """Store fitted columns as plain arrays in ``arrays``; return their JSON description.

    A constant column is its float; a linear one is ``{"kind", "key"}`` with ``<key>/coef`` and
    ``<key>/intercept`` in ``arrays``.
    """
    out: list[Any] = []
    for j, model in enumerate(columns):
        if isinstance(model, float):
            out.append(model)
            continue
        kind = next((k for k, cls in _LINEAR.items() if type(model) is cls), None)
        if kind is None:
            raise TypeError(f"cannot store a {type(model).__name__} column as plain arrays")
        key = f"{prefix}/col{j}"
        arrays[f"{key}/coef"] = np.asarray(model.coef_, dtype=np.float64)
        arrays[f"{key}/intercept"] = np.asarray(model.intercept_, dtype=np.float64)
        out.append({"kind": kind, "key": key})
    return out


def columns_from_state(state: list[Any], arrays: dict[str, np.ndarray]) -> list[Column]:
    """Rebuild the columns of :func:`columns_state` (the same sklearn classes, same numbers)."""
    columns: list[Column] = []
    for item in state:
        if not isinstance(item, dict):
            columns.append(float(item))
            continue
        model = _LINEAR[item["kind"]]()
        model.coef_ = arrays[f"{item['key']}/coef"]
        model.intercept_ = arrays[f"{item['key']}/intercept"]
        model.classes_ = np.array([0, 1])
        model.n_features_in_ = model.coef_.shape[1]
        columns.append(model)
    return columns

"""NB-SVM: the folded model equals the scaled SVMs it was fitted as, and learns a toy task."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.svm import LinearSVC

from topics.classifier.multiclass.nbsvm import NBLinearSVC


def _toy(seed: int = 0, n: int = 300) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Three classes, each with 5 marker features among 40 noise features."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = (rng.random((n, 55)) < 0.1).astype(float)
    for i, label in enumerate(y):
        X[i, 40 + 5 * label + rng.integers(0, 5, 2)] = 1.0
    return sparse.csr_matrix(X), np.array(["a", "b", "c"])[y]


def test_folded_coefficients_equal_the_scaled_svms():
    X, y = _toy()
    model = NBLinearSVC(C=0.5, seed=0)
    assert model.fit(X, y) is model
    k = 1  # class "b" against the rest, by hand
    positive = y == "b"
    p = np.asarray(X[positive].sum(axis=0)).ravel() + 1.0
    q = np.asarray(X[~positive].sum(axis=0)).ravel() + 1.0
    ratio = np.log(p / p.sum()) - np.log(q / q.sum())
    svm = LinearSVC(C=0.5, random_state=0).fit(X @ sparse.diags(ratio), positive.astype(int))
    expected = svm.decision_function(X @ sparse.diags(ratio))
    assert np.allclose(model.decision_function(X)[:, k], expected, atol=1e-8)


def test_counts_are_binarized_and_the_toy_task_is_learned():
    X, y = _toy(1)
    model = NBLinearSVC(seed=0).fit(X, y)
    assert np.allclose(model.decision_function(X * 3.0), model.decision_function(X))
    X_new, y_new = _toy(2)
    assert list(model.classes_) == ["a", "b", "c"] and model.coef_.shape == (3, 55)
    assert (model.predict(X_new) == y_new).mean() > 0.9

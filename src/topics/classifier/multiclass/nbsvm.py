"""NB-SVM: a linear SVM on features scaled by naive-Bayes log-count ratios.

After Wang & Manning (2012), "Baselines and Bigrams: Simple, Good Sentiment and Topic
Classification". For each class ``c`` (one against the rest) on binarized features ``x``:

* ``p = alpha + sum of x over the class's texts``, ``q = alpha + sum over the others``;
* ``r_c = log((p / |p|_1) / (q / |q|_1))``, the naive-Bayes evidence of each feature;
* a ``LinearSVC`` is fitted on ``x * r_c`` against ``y == c``.

The scaling lets the SVM start from what naive Bayes already knows, which helps on short texts.
Because ``(x * r_c) . w_c = x . (r_c * w_c)``, the fitted model folds into one coefficient matrix:
``decision_function`` is a single sparse product, and the state is two plain arrays.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.svm import LinearSVC


def _binary(X: sparse.spmatrix) -> sparse.csr_matrix:
    out = sparse.csr_matrix(X, dtype=np.float64, copy=True)
    out.data[:] = 1.0
    out.eliminate_zeros()
    return out


class NBLinearSVC(ClassifierMixin, BaseEstimator):
    """One-vs-rest NB-SVM (sklearn API).

    Args:
        C: Inverse regularisation of each class's ``LinearSVC``.
        alpha: Additive smoothing of the feature counts.
        seed: ``random_state`` of the SVMs.

    Attributes:
        classes_: The labels, in column order.
        coef_: ``(n_classes, n_features)`` folded coefficients ``r_c * w_c``.
        intercept_: ``(n_classes,)`` intercepts.
    """

    def __init__(self, C: float = 0.1, alpha: float = 1.0, seed: int | None = None) -> None:
        self.C = C
        self.alpha = alpha
        self.seed = seed

    def fit(self, X: sparse.spmatrix, y: np.ndarray) -> NBLinearSVC:
        """Fit one scaled ``LinearSVC`` per class; returns ``self``."""
        Xb = _binary(X)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        n_features = Xb.shape[1]
        self.coef_ = np.zeros((len(self.classes_), n_features))
        self.intercept_ = np.zeros(len(self.classes_))
        totals = np.asarray(Xb.sum(axis=0)).ravel()
        for k, label in enumerate(self.classes_):
            positive = y == label
            p = np.asarray(Xb[positive].sum(axis=0)).ravel() + self.alpha
            q = totals - (p - self.alpha) + self.alpha
            ratio = np.log(p / p.sum()) - np.log(q / q.sum())
            svm = LinearSVC(C=float(self.C), random_state=self.seed)
            svm.fit(Xb @ sparse.diags(ratio), positive.astype(int))
            self.coef_[k] = svm.coef_.ravel() * ratio
            self.intercept_[k] = float(svm.intercept_[0])
        return self

    def decision_function(self, X: sparse.spmatrix) -> np.ndarray:
        """``(n, n_classes)`` margins of each class against the rest."""
        return np.asarray(_binary(X) @ self.coef_.T) + self.intercept_

    def predict(self, X: sparse.spmatrix) -> np.ndarray:
        """The class with the largest margin."""
        return self.classes_[self.decision_function(X).argmax(axis=1)]

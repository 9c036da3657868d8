"""Lexical multiclass models: character and word n-gram TF-IDF into one linear model.

Features are the union of character n-grams of the normalized text (NFKC, Simplified) and word
n-grams of the ``classify`` tokenizer profile (every jieba piece: punctuation, digits, pronouns
and the domain noise words of the topic tokenizer carry class signal in news headlines). The
model is one multinomial logistic regression, a linear SVM (``LinearSVC``: one-vs-rest margins,
argmax), an NB-SVM (:mod:`topics.classifier.multiclass.nbsvm`: the SVM on naive-Bayes-scaled
binary features) or an SGD linear model; its hyperparameters are tuned on the validation split.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import ParameterGrid
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from topics.classifier.methods.lexical import CachingTokenizer
from topics.classifier.multiclass.base import (
    TUNE_METRICS,
    SingleLabelClassifier,
    fit_temperature,
    softmax,
    tune_score,
)
from topics.classifier.multiclass.nbsvm import NBLinearSVC
from topics.data.types import InputError

MODELS = ("logreg", "svm", "nbsvm", "sgd")
#: Hyperparameters of the linear model (the grid may tune these; features are fixed).
MODEL_KEYS = {"logreg": {"C"}, "svm": {"C"}, "nbsvm": {"C"}, "sgd": {"alpha", "loss"}}


def _classify_tokenizer(tokenizer: Callable[[str], list[str]] | None, profile: str) -> Any:
    """The run's tokenizer with the given profile (a default tokenizer when none is given)."""
    base = getattr(tokenizer, "tokenizer", tokenizer)  # unwrap a CachingTokenizer
    with_profile = getattr(base, "with_profile", None)
    if with_profile is not None:
        return with_profile(profile)
    if base is not None:
        return base
    from topics.tokenize import build_tokenizer

    return build_tokenizer({"profile": profile})


class LexicalFeatures(FeatureUnion):
    """TF-IDF of character n-grams and word n-grams (sklearn ``FeatureUnion``)."""

    @classmethod
    def build(
        cls,
        tokenizer: Any,
        char_ngrams: Sequence[int],
        word_ngrams: Sequence[int] | None,
        min_df: int,
        sublinear_tf: bool,
    ) -> LexicalFeatures:
        """Return the union; ``word_ngrams=None`` leaves word n-grams out."""
        normalize = getattr(tokenizer, "normalize", None)
        parts: list[tuple[str, TfidfVectorizer]] = [
            (
                "char",
                TfidfVectorizer(
                    analyzer="char",
                    ngram_range=_pair(char_ngrams, "char_ngrams"),
                    min_df=min_df,
                    sublinear_tf=sublinear_tf,
                    lowercase=True,
                    preprocessor=normalize if callable(normalize) else None,
                ),
            )
        ]
        if word_ngrams is not None:
            parts.append(
                (
                    "word",
                    TfidfVectorizer(
                        tokenizer=CachingTokenizer(tokenizer),
                        token_pattern=None,
                        lowercase=False,
                        ngram_range=_pair(word_ngrams, "word_ngrams"),
                        min_df=min_df,
                        sublinear_tf=sublinear_tf,
                    ),
                )
            )
        return cls(parts)


def _pair(value: Sequence[int], name: str) -> tuple[int, int]:
    pair = tuple(int(v) for v in value)
    if len(pair) != 2 or not 1 <= pair[0] <= pair[1]:
        raise InputError(f"{name} must be [low, high] with 1 <= low <= high, got {list(value)}")
    return pair  # type: ignore[return-value]


class LexicalClassifier(SingleLabelClassifier):
    """Character + word n-gram TF-IDF and one multiclass linear model, tuned on validation.

    Args:
        model: ``logreg`` (multinomial logistic regression), ``svm`` (``LinearSVC``), ``nbsvm``
            (``LinearSVC`` on naive-Bayes-scaled binary features; the TF-IDF is binarized) or
            ``sgd``.
        C: Inverse regularisation (``logreg``, ``svm``, ``nbsvm``).
        alpha: Regularisation (``sgd``).
        loss: SGD loss (``hinge``, ``log_loss``, ``modified_huber``).
        char_ngrams: ``[low, high]`` character n-gram lengths.
        word_ngrams: ``[low, high]`` word n-gram lengths, or ``None`` for no word features.
        tokenizer_profile: Profile of the project tokenizer for word n-grams (``classify``).
        min_df: Minimum document frequency of an n-gram.
        sublinear_tf: ``1 + log(tf)``.
        grid: Candidates of the model's hyperparameters (e.g. ``{"C": [0.3, 1]}``).
        tune_metric: ``accuracy``, ``macro_f1`` or ``log_loss`` on the validation split.
        val_size: Share of the training texts carved out for validation.
        refit: Refit on all training texts with the chosen settings.
        tokenizer: The project tokenizer (injected by the builder).
        seed: Seed of the split and the solvers.
    """

    method = "lexical"
    can_refit = True

    def __init__(
        self,
        model: str = "svm",
        C: float = 0.5,
        alpha: float = 1e-5,
        loss: str = "modified_huber",
        char_ngrams: Sequence[int] = (1, 3),
        word_ngrams: Sequence[int] | None = (1, 2),
        tokenizer_profile: str = "classify",
        min_df: int = 1,
        sublinear_tf: bool = True,
        grid: Mapping[str, Sequence[Any]] | None = None,
        tune_metric: str = "accuracy",
        val_size: float = 0.1,
        refit: bool = True,
        tokenizer: Callable[[str], list[str]] | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(val_size, refit, seed)
        self.model = model
        self.C = C
        self.alpha = alpha
        self.loss = loss
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams
        self.tokenizer_profile = tokenizer_profile
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.grid = grid
        self.tune_metric = tune_metric
        self.tokenizer = tokenizer

    def _candidates(self) -> list[dict[str, Any]]:
        if self.model not in MODELS:
            raise InputError(f"lexical.model is {self.model!r}; use one of {list(MODELS)}")
        if self.tune_metric not in TUNE_METRICS:
            raise InputError(
                f"tune_metric is {self.tune_metric!r}; use one of {list(TUNE_METRICS)}"
            )
        grid = {str(k): list(v) for k, v in dict(self.grid or {}).items()}
        bad = sorted(set(grid) - MODEL_KEYS[self.model])
        if bad or any(not v for v in grid.values()):
            raise InputError(
                f"lexical grid keys {bad or list(grid)} must be non-empty lists of "
                f"{sorted(MODEL_KEYS[self.model])} (model {self.model})"
            )
        return list(ParameterGrid(grid)) if grid else [{}]

    def _estimator(self, params: Mapping[str, Any]) -> Any:
        p = {"C": self.C, "alpha": self.alpha, "loss": self.loss, **params}
        if self.model == "logreg":
            return LogisticRegression(C=float(p["C"]), max_iter=1000, random_state=self.seed)
        if self.model == "svm":
            return LinearSVC(C=float(p["C"]), random_state=self.seed)
        if self.model == "nbsvm":
            return NBLinearSVC(C=float(p["C"]), seed=self.seed)
        return SGDClassifier(
            loss=p["loss"],
            alpha=float(p["alpha"]),
            max_iter=50,
            tol=1e-4,
            random_state=self.seed,
            n_jobs=1,
        )

    def _features(self) -> LexicalFeatures:
        tokenizer = (
            None
            if self.word_ngrams is None
            else _classify_tokenizer(self.tokenizer, self.tokenizer_profile)
        )
        return LexicalFeatures.build(
            tokenizer, self.char_ngrams, self.word_ngrams, int(self.min_df), self.sublinear_tf
        )

    def _fit_choose(
        self, train: list[str], y: np.ndarray, val: list[str], y_val: np.ndarray
    ) -> None:
        candidates = self._candidates()
        self.features_ = self._features()
        X = self.features_.fit_transform(train)
        X_val = self.features_.transform(val)
        self.grid_scores_ = []
        best, best_score = None, -np.inf
        for params in candidates:
            est = self._estimator(params).fit(X, y)
            scores = _decision(est, X_val)
            # log-loss compares calibrated probabilities; the argmax metrics ignore temperature
            t = fit_temperature(scores, y_val) if self.tune_metric == "log_loss" else 1.0
            score = tune_score(self.tune_metric, y_val, softmax(scores, t))
            self.grid_scores_.append({**params, f"val_{self.tune_metric}": score})
            if score > best_score:
                best, best_score = (params, est), score
        assert best is not None
        self.best_params_, self.estimator_ = best
        self.n_features_ = int(X.shape[1])

    def _scores(self, texts: list[str]) -> np.ndarray:
        return _decision(self.estimator_, self.features_.transform(texts))

    def _refit(self, texts: list[str], y: np.ndarray) -> None:
        self.features_ = self._features()
        X = self.features_.fit_transform(texts)
        self.estimator_ = self._estimator(self.best_params_).fit(X, y)
        self.n_features_ = int(X.shape[1])


def _decision(estimator: Any, X: Any) -> np.ndarray:
    """``(n, K)`` decision values (log-probabilities for a probabilistic model)."""
    if isinstance(estimator, LogisticRegression):
        return estimator.predict_log_proba(X)
    scores = estimator.decision_function(X)
    return np.column_stack([-scores, scores]) if scores.ndim == 1 else scores

"""Single-label (multiclass) classifiers: the contract, the validation split, calibration.

``fit(texts, labels, val_texts=None, val_labels=None)``: every choice (hyperparameters, the
epoch to stop at, a softmax temperature, blend weights) is made on a validation split. When no
split is given, a stratified one (``val_size``, ``seed``) is carved from the training texts, so a
held-out evaluation file is never used for any choice. What the final model is trained on is
written to ``trained_on_``.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Sequence
from typing import Any, ClassVar, Self

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from topics.data.types import InputError, text_list

#: Metrics a multiclass model can be tuned for (higher is better; log_loss is negated).
TUNE_METRICS = ("accuracy", "macro_f1", "log_loss")


def validation_split(
    labels: Sequence[str], size: float, seed: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return sorted ``(train, validation)`` indices of a stratified split.

    Raises:
        InputError: ``size`` is not a share in (0, 0.5].
    """
    if isinstance(size, bool) or not 0.0 < float(size) <= 0.5:
        raise InputError(f"val_size must be a share in (0, 0.5], got {size!r}")
    index = np.arange(len(labels))
    train, val = train_test_split(
        index, test_size=float(size), stratify=list(labels), random_state=seed
    )
    return np.sort(train), np.sort(val)


def softmax(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``scores / temperature``."""
    z = np.asarray(scores, dtype=np.float64) / float(temperature)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def log_loss(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-probability of the true classes ``y`` (indices)."""
    picked = np.asarray(proba)[np.arange(len(y)), y]
    return float(-np.log(np.clip(picked, 1e-12, 1.0)).mean())


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Return the temperature ``T`` minimising the log-loss of ``softmax(scores / T)``."""
    result = minimize_scalar(
        lambda t: log_loss(softmax(scores, np.exp(t)), y), bounds=(-6.0, 6.0), method="bounded"
    )
    return float(np.exp(result.x))


def tune_score(metric: str, y: np.ndarray, proba: np.ndarray) -> float:
    """Return the validation score of ``proba`` for ``metric`` (higher is better).

    Raises:
        InputError: Unknown metric.
    """
    if metric == "accuracy":
        return float(accuracy_score(y, proba.argmax(axis=1)))
    if metric == "macro_f1":
        return float(f1_score(y, proba.argmax(axis=1), average="macro"))
    if metric == "log_loss":
        return -log_loss(proba, y)
    raise InputError(f"tune_metric is {metric!r}; use one of {list(TUNE_METRICS)}")


class SingleLabelClassifier:
    """Base of the multiclass classifiers (see the module docstring).

    Subclasses implement ``_fit_choose(train, y, val, y_val)`` (fit on ``train``, make every
    choice on ``val``, set ``best_params_``) and ``_scores(texts)`` (``(n, K)`` logit-like
    scores); they may override ``_refit(texts, y)`` (refit the chosen model on all texts) and
    ``_after_choices(texts, y)`` (a last step with every text, once the choices are made).

    Attributes:
        method: Registry name.
        classes_: Class labels, in column order (after ``fit``).
        best_params_: Hyperparameters chosen on the validation split.
        temperature_: Softmax temperature of the scores, fitted on the validation split.
        val_score_: Validation score (``tune_metric``) of the chosen model.
        trained_on_: What the final model was trained on, in words.
        fit_seconds_: Wall time of ``fit``.
    """

    method: ClassVar[str] = "single_label"
    #: Whether the final model is refitted on train + validation (when ``refit`` is true).
    can_refit: ClassVar[bool] = False
    tune_metric: str = "accuracy"

    def __init__(self, val_size: float = 0.1, refit: bool = True, seed: int | None = None):
        self.val_size = val_size
        self.refit = refit
        self.seed = seed

    def get_params(self) -> dict[str, Any]:
        """Return the constructor arguments (sklearn style)."""
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        return {name: getattr(self, name) for name in names}

    def spawn(self, **overrides: Any) -> Self:
        """Return an unfitted copy with some constructor arguments replaced."""
        return type(self)(**{**self.get_params(), **overrides})

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        val_texts: Sequence[str] | None = None,
        val_labels: Sequence[str] | None = None,
    ) -> Self:
        """Fit on ``texts``, choosing on the given validation split or on a carved one.

        With a given split, the final model is trained on ``texts`` only (its validation
        scores stay out-of-sample, e.g. for a blend). With a carved one, models that can
        (``can_refit`` and ``refit``) are refitted on all ``texts`` with the chosen settings.
        """
        start = time.perf_counter()
        texts, labels = text_list(texts, "classifier texts"), [str(y) for y in labels]
        if len(texts) != len(labels):
            raise InputError(f"{len(texts)} texts but {len(labels)} labels")
        self.classes_ = np.asarray(sorted(set(labels)))
        if len(self.classes_) < 2:
            raise InputError("a single-label classifier needs at least 2 classes in training")
        if val_texts is None:
            tr, va = validation_split(labels, self.val_size, self.seed)
            train, val = [texts[i] for i in tr], [texts[i] for i in va]
            y_train, y_val = (
                self._index([labels[i] for i in tr]),
                self._index([labels[i] for i in va]),
            )
        else:
            train, val = texts, text_list(val_texts, "classifier val_texts")
            y_train, y_val = self._index(labels), self._index([str(y) for y in val_labels or ()])
        self._fit_choose(train, y_train, val, y_val)
        val_scores = self._scores(val)
        self.temperature_ = fit_temperature(val_scores, y_val)
        self.val_score_ = tune_score(
            self.tune_metric, y_val, softmax(val_scores, self.temperature_)
        )
        if val_texts is None:  # every text fit was given: the carved split is among them
            all_texts, y_all = texts, self._index(labels)
        else:
            all_texts, y_all = [*texts, *val], np.concatenate([y_train, y_val])
        refit = val_texts is None and self.refit and self.can_refit
        if refit:
            self._refit(all_texts, y_all)
        n_val = len(val)
        self.trained_on_ = (
            f"all {len(texts)} training texts (settings chosen on a {n_val}-text stratified "
            "validation split carved from them, then refitted)"
            if refit
            else f"{len(train)} training texts; the {n_val}-text validation split was used only "
            "for choices (hyperparameters, stopping, temperature)"
        )
        self._after_choices(all_texts, y_all)
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def refit_on(self, texts: Sequence[str], labels: Sequence[str]) -> Self:
        """Refit the chosen model on ``texts``, keeping every choice and the temperature.

        For a model fitted with a given validation split (a blend's member), once that split has
        served its purpose: the final model then learns from train + validation.

        Raises:
            InputError: The model cannot be refitted (``can_refit`` is false).
        """
        if not self.can_refit:
            raise InputError(f"classifier '{self.method}' cannot be refitted with its choices")
        start, texts = time.perf_counter(), text_list(texts, "classifier texts")
        self._refit(texts, self._index([str(y) for y in labels]))
        self.fit_seconds_ = getattr(self, "fit_seconds_", 0.0) + time.perf_counter() - start
        self.trained_on_ = (
            f"all {len(texts)} texts it was given (settings chosen on a validation split, "
            "then refitted)"
        )
        return self

    def _index(self, labels: Sequence[str]) -> np.ndarray:
        column = {c: j for j, c in enumerate(self.classes_.tolist())}
        unknown = sorted({y for y in labels if y not in column})
        if unknown:
            raise InputError(f"validation labels {unknown[:5]} are not among the training classes")
        return np.asarray([column[y] for y in labels], dtype=np.int64)

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Return ``(n, K)`` logit-like scores (before the fitted temperature)."""
        if not hasattr(self, "temperature_"):
            raise RuntimeError(f"classifier '{self.method}' is not fitted; call fit() first")
        return self._scores(text_list(texts, "classifier texts"))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Return ``(n, K)`` class probabilities: ``softmax(scores / temperature_)``."""
        return softmax(self.decision_function(texts), self.temperature_)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Return the most probable class per text."""
        return self.classes_[self.decision_function(texts).argmax(axis=1)]

    # --- hooks ----------------------------------------------------------------------------

    def _fit_choose(
        self, train: list[str], y: np.ndarray, val: list[str], y_val: np.ndarray
    ) -> None:
        raise NotImplementedError

    def _scores(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def _refit(self, texts: list[str], y: np.ndarray) -> None:
        raise NotImplementedError

    def _after_choices(self, texts: list[str], y: np.ndarray) -> None:
        """Last step of ``fit``, with every text it was given (train + validation).

        It runs after every choice, the temperature and the validation score; nothing by default.
        """

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.get_params().items() if k not in ("tokenizer", "embedder")}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

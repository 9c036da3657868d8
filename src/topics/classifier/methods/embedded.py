"""Classifiers on sentence embeddings (logistic, SVM, kNN) and on topic assignments.

Zero-shot similarity lives in :mod:`topics.classifier.methods.zeroshot`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.preprocessing import OneHotEncoder

from topics.classifier.methods.base import Inputs, ThemeClassifier
from topics.classifier.methods.columns import (
    columns_from_state,
    columns_state,
    fit_columns,
    linear_svm,
    logistic,
    score_columns,
)
from topics.classifier.methods.mixing import mix_examples
from topics.classifier.methods.zeroshot import unit_rows as _unit_rows
from topics.data.types import InputError
from topics.embedding.base import Embedder
from topics.themes.taxonomy import Theme


class _EmbeddingLinear(ThemeClassifier):
    """One class-balanced linear model per theme on sentence embeddings."""

    needs_embeddings = True
    make_model: ClassVar[Callable[[float, int | None], Callable[[], Any]]]

    def __init__(
        self,
        themes: Sequence[Theme | str],
        embedder: Embedder | None = None,
        C: float = 1.0,
        mixtures: float = 0.0,
        mix_max_parts: int = 4,
        grid: Mapping[str, Sequence[Any]] | None = None,
        inner_splits: int = 5,
        seed: int | None = None,
    ) -> None:
        super().__init__(themes, grid, inner_splits, seed)
        self.embedder = embedder
        self.C = C
        self.mixtures = mixtures
        self.mix_max_parts = mix_max_parts

    def _fit_core(self, data: Inputs, Y: np.ndarray) -> _EmbeddingLinear:
        X, labels = data.embeddings, Y
        if self.mixtures < 0:
            raise InputError(f"{self.method}.mixtures must be >= 0, got {self.mixtures!r}")
        n_mix = int(round(self.mixtures * len(data)))
        if n_mix:
            mixed, mixed_labels = mix_examples(
                data.texts, X, Y, n_mix, self.mix_max_parts, self.seed
            )
            X, labels = np.vstack([X, mixed]), np.vstack([Y, mixed_labels])
        self.columns_ = fit_columns(type(self).make_model(self.C, self.seed), X, labels)
        return self

    def _score(self, data: Inputs) -> np.ndarray:
        return score_columns(self.columns_, data.embeddings, len(data))

    def _get_state(self, arrays: dict[str, np.ndarray], prefix: str, folder: Path) -> dict:
        return {"columns": columns_state(self.columns_, arrays, prefix)}

    def _set_state(
        self, state: dict, arrays: Mapping[str, np.ndarray], prefix: str, folder: Path
    ) -> None:
        self.columns_ = columns_from_state(state["columns"], dict(arrays))


class EmbedLogRegClassifier(_EmbeddingLinear):
    """Logistic regression per theme on sentence embeddings.

    Args:
        themes: Themes or class names.
        embedder: Embeds units when ``embeddings=`` is not given.
        C: Inverse regularisation strength.
        mixtures: Synthetic multi-theme examples added to each training part, per real example
            (:func:`~topics.classifier.methods.mixing.mix_examples`; 0: none).
        mix_max_parts: Most examples per synthetic mixture.
        grid: Hyperparameter grid (e.g. ``{"C": [0.1, 1, 10]}``).
        inner_splits: Most inner tuning splits.
        seed: Seed of the solver, of the mixtures and of unit-level tuning splits.
    """

    method = "embed_logreg"
    make_model = staticmethod(logistic)


class EmbedSVMClassifier(_EmbeddingLinear):
    """Linear SVM per theme on sentence embeddings; score = sigmoid of the margin.

    Args:
        themes: Themes or class names.
        embedder: Embeds units when ``embeddings=`` is not given.
        C: Inverse regularisation strength.
        mixtures: Synthetic multi-theme examples added to each training part, per real example
            (:func:`~topics.classifier.methods.mixing.mix_examples`; 0: none).
        mix_max_parts: Most examples per synthetic mixture.
        grid: Hyperparameter grid (e.g. ``{"C": [0.1, 1, 10]}``).
        inner_splits: Most inner tuning splits.
        seed: Seed of the solver, of the mixtures and of unit-level tuning splits.
    """

    method = "embed_svm"
    make_model = staticmethod(linear_svm)


class EmbedKNNClassifier(ThemeClassifier):
    """Cosine k-nearest neighbours: a theme's score is the (weighted) share of neighbours with it.

    Args:
        themes: Themes or class names.
        embedder: Embeds units when ``embeddings=`` is not given.
        k: Neighbours (capped by the training size).
        weights: ``similarity`` (weight by cosine, floored at a tiny positive value) or
            ``uniform``.
        grid: Hyperparameter grid (e.g. ``{"k": [5, 10, 20]}``).
        inner_splits: Most inner tuning splits.
        seed: Seed of unit-level tuning splits.
    """

    method = "embed_knn"
    needs_embeddings = True
    _CHUNK = 2048

    def __init__(
        self,
        themes: Sequence[Theme | str],
        embedder: Embedder | None = None,
        k: int = 10,
        weights: str = "similarity",
        grid: Mapping[str, Sequence[Any]] | None = None,
        inner_splits: int = 5,
        seed: int | None = None,
    ) -> None:
        super().__init__(themes, grid, inner_splits, seed)
        self.embedder = embedder
        self.k = k
        self.weights = weights

    def _fit_core(self, data: Inputs, Y: np.ndarray) -> EmbedKNNClassifier:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise InputError(f"embed_knn.k must be a positive integer, got {self.k!r}")
        if self.weights not in ("similarity", "uniform"):
            raise InputError(f"embed_knn.weights is {self.weights!r}; use similarity or uniform")
        self.train_vectors_ = _unit_rows(data.embeddings)
        self.train_labels_ = Y.astype(np.float32)
        return self

    def _score(self, data: Inputs) -> np.ndarray:
        queries = _unit_rows(data.embeddings)
        k = min(self.k, len(self.train_vectors_))
        out = np.empty((len(queries), self.train_labels_.shape[1]), dtype=float)
        for start in range(0, len(queries), self._CHUNK):
            sims = queries[start : start + self._CHUNK] @ self.train_vectors_.T
            idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            near = np.take_along_axis(sims, idx, axis=1)
            w = np.maximum(near, 1e-6) if self.weights == "similarity" else np.ones_like(near)
            votes = np.einsum("qk,qkc->qc", w, self.train_labels_[idx])
            out[start : start + len(idx)] = votes / w.sum(axis=1, keepdims=True)
        return out

    def _get_state(self, arrays: dict[str, np.ndarray], prefix: str, folder: Path) -> dict:
        arrays[f"{prefix}/train_vectors"] = self.train_vectors_
        arrays[f"{prefix}/train_labels"] = self.train_labels_
        return {}

    def _set_state(
        self, state: dict, arrays: Mapping[str, np.ndarray], prefix: str, folder: Path
    ) -> None:
        self.train_vectors_ = arrays[f"{prefix}/train_vectors"]
        self.train_labels_ = arrays[f"{prefix}/train_labels"]


class TopicFeatureClassifier(ThemeClassifier):
    """Logistic regression per theme on one-hot topic ids (times the topic probability, if given).

    ``topics`` is ``(n,)`` integer topic ids (BERTopic's ``-1`` outliers are one more value) or
    ``(n, 2)``: id and probability of the assigned topic.

    Args:
        themes: Themes or class names.
        C: Inverse regularisation strength.
        use_probability: Add one-hot x probability features when probabilities are given.
        grid: Hyperparameter grid (e.g. ``{"C": [0.1, 1, 10]}``).
        inner_splits: Most inner tuning splits.
        seed: Seed of the solver and of unit-level tuning splits.
    """

    method = "topic_features"
    needs_topics = True

    def __init__(
        self,
        themes: Sequence[Theme | str],
        C: float = 1.0,
        use_probability: bool = True,
        grid: Mapping[str, Sequence[Any]] | None = None,
        inner_splits: int = 5,
        seed: int | None = None,
    ) -> None:
        super().__init__(themes, grid, inner_splits, seed)
        self.C = C
        self.use_probability = use_probability

    @staticmethod
    def _split(topics: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        ids = topics if topics.ndim == 1 else topics[:, 0]
        ids = np.asarray(ids, dtype=float)
        if not np.isfinite(ids).all() or not np.equal(ids, np.round(ids)).all():
            raise InputError("topics must hold integer topic ids (column 0 when 2-D)")
        probs = None if topics.ndim == 1 else np.asarray(topics[:, 1], dtype=float)
        return ids.astype(int).reshape(-1, 1), probs

    def _features(self, topics: np.ndarray) -> np.ndarray:
        ids, probs = self._split(topics)
        onehot = self.encoder_.transform(ids)
        if probs is not None and self.use_probability:
            return np.hstack([onehot, onehot * probs[:, None]])
        return onehot

    def _fit_core(self, data: Inputs, Y: np.ndarray) -> TopicFeatureClassifier:
        ids, _ = self._split(data.topics)
        self.encoder_ = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(ids)
        self.columns_ = fit_columns(logistic(self.C, self.seed), self._features(data.topics), Y)
        return self

    def _score(self, data: Inputs) -> np.ndarray:
        return score_columns(self.columns_, self._features(data.topics), len(data))

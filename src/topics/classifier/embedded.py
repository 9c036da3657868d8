"""Classifiers on sentence embeddings (zero-shot, logistic, SVM, kNN) and on topic assignments."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.preprocessing import OneHotEncoder

from topics.classifier.base import Inputs, ThemeClassifier
from topics.classifier.columns import fit_columns, linear_svm, logistic, score_columns
from topics.data.types import InputError
from topics.embedding.base import Embedder
from topics.themes.taxonomy import Theme

#: Theme vectors per (embedder identity, theme texts): descriptions are embedded once.
_THEME_VECTORS: dict[tuple[str, tuple[tuple[str, ...], ...]], np.ndarray] = {}
_VIEWS = ("description", "names", "keywords")


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    """L2-normalise the rows of ``vectors`` (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def theme_texts(theme: Theme | str, views: Sequence[str]) -> tuple[str, ...]:
    """Return the texts embedded for a theme: one per view (a bare class name is its own text)."""
    if not isinstance(theme, Theme):
        return (str(theme),)
    bad = [v for v in views if v not in _VIEWS]
    if bad or not views:
        raise InputError(f"zeroshot.views {list(views)} must be a non-empty subset of {_VIEWS}")
    text = {
        "description": theme.description_zh,
        "names": f"{theme.name_zh} {theme.name_en}",
        "keywords": "、".join(theme.keywords_zh),
    }
    return tuple(text[v] for v in views)


class ZeroShotClassifier(ThemeClassifier):
    """Cosine similarity of unit embeddings to theme vectors; labels only tune thresholds.

    A theme vector is the normalised mean of the embeddings of its ``views`` (Chinese
    description, names, keyword list).

    Args:
        themes: Taxonomy themes, or class names (embedded as they are).
        embedder: Embeds theme texts (and units when ``embeddings=`` is not given); must be
            the model that made the unit embeddings.
        views: Theme texts to average: any of ``description``, ``names``, ``keywords``.
        calibration: ``minmax`` (per theme, min and max similarity over the training units
            map to 0 and 1), ``softmax`` (over themes, with ``temperature``) or ``linear``
            (``(cos + 1) / 2``).
        temperature: Softmax temperature.
        grid: Hyperparameter grid (e.g. ``{"temperature": [0.02, 0.05]}``).
        inner_splits: Most inner tuning splits.
        seed: Seed of unit-level tuning splits.
    """

    method = "zeroshot"
    needs_embeddings = True

    def __init__(
        self,
        themes: Sequence[Theme | str],
        embedder: Embedder | None = None,
        views: Sequence[str] = _VIEWS,
        calibration: str = "minmax",
        temperature: float = 0.05,
        grid: Mapping[str, Sequence[Any]] | None = None,
        inner_splits: int = 5,
        seed: int | None = None,
    ) -> None:
        super().__init__(themes, grid, inner_splits, seed)
        self.embedder = embedder
        self.views = views
        self.calibration = calibration
        self.temperature = temperature

    def theme_vectors(self) -> np.ndarray:
        """Return the ``(k, d)`` unit-norm theme vectors."""
        if self.embedder is None:
            raise InputError("classifier 'zeroshot' needs an embedder to embed the themes")
        texts = tuple(theme_texts(t, tuple(self.views)) for t in self.themes)
        key = (self.embedder.identity(), texts)
        if key not in _THEME_VECTORS:
            flat = [x for group in texts for x in group]
            vectors = _unit_rows(self.embedder.embed(flat))
            starts = np.cumsum([0] + [len(g) for g in texts])
            means = [
                vectors[a:b].mean(axis=0) for a, b in zip(starts[:-1], starts[1:], strict=True)
            ]
            _THEME_VECTORS[key] = _unit_rows(np.stack(means))
        return _THEME_VECTORS[key]

    def _similarity(self, embeddings: np.ndarray) -> np.ndarray:
        if embeddings.shape[1] != self.theme_vectors_.shape[1]:
            raise InputError(
                f"unit embeddings have {embeddings.shape[1]} dims, the zeroshot embedder gives "
                f"{self.theme_vectors_.shape[1]}: embed units and themes with the same model"
            )
        return _unit_rows(embeddings) @ self.theme_vectors_.T

    def _fit_core(self, data: Inputs, Y: np.ndarray) -> ZeroShotClassifier:
        if self.calibration not in ("minmax", "softmax", "linear"):
            raise InputError(
                f"zeroshot.calibration is {self.calibration!r}; use minmax, softmax or linear"
            )
        self.theme_vectors_ = self.theme_vectors()
        sims = self._similarity(data.embeddings)
        self.low_, self.high_ = sims.min(axis=0), sims.max(axis=0)
        return self

    def _score(self, data: Inputs) -> np.ndarray:
        sims = self._similarity(data.embeddings)
        if self.calibration == "minmax":
            span = np.where(self.high_ > self.low_, self.high_ - self.low_, 1.0)
            return np.clip((sims - self.low_) / span, 0.0, 1.0)
        if self.calibration == "softmax":
            logits = sims / float(self.temperature)
            logits -= logits.max(axis=1, keepdims=True)
            weights = np.exp(logits)
            return weights / weights.sum(axis=1, keepdims=True)
        return (sims + 1.0) / 2.0


class _EmbeddingLinear(ThemeClassifier):
    """One class-balanced linear model per theme on sentence embeddings."""

    needs_embeddings = True
    make_model: ClassVar[Callable[[float, int | None], Callable[[], Any]]]

    def __init__(
        self,
        themes: Sequence[Theme | str],
        embedder: Embedder | None = None,
        C: float = 1.0,
        grid: Mapping[str, Sequence[Any]] | None = None,
        inner_splits: int = 5,
        seed: int | None = None,
    ) -> None:
        super().__init__(themes, grid, inner_splits, seed)
        self.embedder = embedder
        self.C = C

    def _fit_core(self, data: Inputs, Y: np.ndarray) -> _EmbeddingLinear:
        self.columns_ = fit_columns(type(self).make_model(self.C, self.seed), data.embeddings, Y)
        return self

    def _score(self, data: Inputs) -> np.ndarray:
        return score_columns(self.columns_, data.embeddings, len(data))


class EmbedLogRegClassifier(_EmbeddingLinear):
    """Logistic regression per theme on sentence embeddings.

    Args:
        themes: Themes or class names.
        embedder: Embeds units when ``embeddings=`` is not given.
        C: Inverse regularisation strength.
        grid: Hyperparameter grid (e.g. ``{"C": [0.1, 1, 10]}``).
        inner_splits: Most inner tuning splits.
        seed: Seed of the solver and of unit-level tuning splits.
    """

    method = "embed_logreg"
    make_model = staticmethod(logistic)


class EmbedSVMClassifier(_EmbeddingLinear):
    """Linear SVM per theme on sentence embeddings; score = sigmoid of the margin.

    Args:
        themes: Themes or class names.
        embedder: Embeds units when ``embeddings=`` is not given.
        C: Inverse regularisation strength.
        grid: Hyperparameter grid (e.g. ``{"C": [0.1, 1, 10]}``).
        inner_splits: Most inner tuning splits.
        seed: Seed of the solver and of unit-level tuning splits.
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

"""Zero-shot theme scores: cosine similarity of unit embeddings to theme prototypes.

A theme has several prototypes: texts from the taxonomy (Chinese description, names, keyword
list, English definition, each ``includes`` item) and, optionally, the embeddings of the training
units that carry the theme (``exemplars``). A unit's theme score aggregates its similarities to
the theme's prototypes: ``centroid`` (similarity to their normalised mean), ``max`` or ``mean``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from topics.classifier.methods.base import Inputs, ThemeClassifier
from topics.data.types import InputError
from topics.embedding.base import Embedder
from topics.themes.taxonomy import Theme

#: Prototype vectors per (embedder identity, prototype texts): taxonomy texts are embedded once.
_PROTO_VECTORS: dict[tuple[str, tuple[tuple[str, ...], ...]], np.ndarray] = {}
#: Prototype views taken from the taxonomy.
TEXT_VIEWS = ("description", "names", "keywords", "definition", "includes")
#: All views: the taxonomy's and the training units of the theme.
VIEWS = (*TEXT_VIEWS, "exemplars")
AGGREGATES = ("centroid", "max", "mean")
CALIBRATIONS = ("minmax", "softmax", "linear")


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """L2-normalise the rows of ``vectors`` (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def theme_texts(theme: Theme | str, views: Sequence[str]) -> tuple[str, ...]:
    """Return a theme's prototype texts for the taxonomy ``views`` (a class name is its own)."""
    if not isinstance(theme, Theme):
        return (str(theme),)
    text = {
        "description": [theme.description_zh],
        "names": [f"{theme.name_zh} {theme.name_en}"],
        "keywords": ["、".join(theme.keywords_zh)] if theme.keywords_zh else [],
        "definition": [theme.definition],
        "includes": list(theme.includes),
    }
    return tuple(x for v in views if v in text for x in text[v])


class ZeroShotClassifier(ThemeClassifier):
    """Similarity of unit embeddings to theme prototypes; labels tune thresholds (and exemplars).

    Args:
        themes: Taxonomy themes, or class names (embedded as they are).
        embedder: Embeds prototype texts (and units when ``embeddings=`` is not given); must be
            the model that made the unit embeddings.
        views: Prototype sources: any of ``description``, ``names``, ``keywords``,
            ``definition``, ``includes`` (taxonomy texts) and ``exemplars`` (training units
            labelled with the theme).
        aggregate: ``centroid`` (similarity to the normalised mean prototype), ``max`` or
            ``mean`` (over the theme's prototypes).
        calibration: ``minmax`` (per theme, min and max over the training units map to 0 and 1),
            ``softmax`` (over themes, with ``temperature``) or ``linear`` (``(cos + 1) / 2``).
        temperature: Softmax temperature.
        grid: Hyperparameter grid (e.g. ``{"aggregate": ["max", "mean"]}``).
        inner_splits: Most inner tuning splits.
        seed: Seed of unit-level tuning splits.
    """

    method = "zeroshot"
    needs_embeddings = True

    def __init__(
        self,
        themes: Sequence[Theme | str],
        embedder: Embedder | None = None,
        views: Sequence[str] = ("description", "names", "keywords"),
        aggregate: str = "centroid",
        calibration: str = "minmax",
        temperature: float = 0.05,
        grid: Mapping[str, Sequence[Any]] | None = None,
        inner_splits: int = 5,
        seed: int | None = None,
    ) -> None:
        super().__init__(themes, grid, inner_splits, seed)
        self.embedder = embedder
        self.views = views
        self.aggregate = aggregate
        self.calibration = calibration
        self.temperature = temperature

    def _check(self) -> None:
        bad = [v for v in self.views if v not in VIEWS]
        if bad or not self.views:
            raise InputError(
                f"zeroshot.views {list(self.views)} must be a non-empty subset of {VIEWS}"
            )
        if self.aggregate not in AGGREGATES:
            raise InputError(f"zeroshot.aggregate is {self.aggregate!r}; use one of {AGGREGATES}")
        if self.calibration not in CALIBRATIONS:
            raise InputError(
                f"zeroshot.calibration is {self.calibration!r}; use one of {CALIBRATIONS}"
            )

    def text_prototypes(self) -> tuple[np.ndarray, np.ndarray]:
        """Return unit-norm prototype vectors of the taxonomy views and their theme index."""
        texts = tuple(theme_texts(t, tuple(self.views)) for t in self.themes)
        owner = np.repeat(np.arange(len(texts)), [len(g) for g in texts])
        if len(owner) == 0:
            return np.zeros((0, 0), dtype=np.float32), owner
        if self.embedder is None:
            raise InputError("classifier 'zeroshot' needs an embedder to embed the theme texts")
        key = (self.embedder.identity(), texts)
        if key not in _PROTO_VECTORS:
            _PROTO_VECTORS[key] = unit_rows(self.embedder.embed([x for g in texts for x in g]))
        return _PROTO_VECTORS[key], owner

    def _fit_core(self, data: Inputs, Y: np.ndarray) -> ZeroShotClassifier:
        self._check()
        vectors, owner = self.text_prototypes()
        if "exemplars" in self.views:
            units = unit_rows(data.embeddings)
            rows, cols = np.nonzero(Y)
            vectors = units[rows] if len(vectors) == 0 else np.vstack([vectors, units[rows]])
            owner = np.concatenate([owner, cols])
        missing = sorted(set(range(Y.shape[1])) - set(owner.tolist()))
        if missing:  # a theme without prototypes (no taxonomy text, no training unit)
            vectors = np.vstack([vectors, np.zeros((len(missing), data.embeddings.shape[1]))])
            owner = np.concatenate([owner, missing])
        self.prototypes_ = vectors.astype(np.float32)
        self.owner_ = owner.astype(np.int64)
        sims = self._similarity(data.embeddings)
        self.low_, self.high_ = sims.min(axis=0), sims.max(axis=0)
        return self

    def _similarity(self, embeddings: np.ndarray) -> np.ndarray:
        """Return ``(n, k)`` aggregated similarities to each theme's prototypes."""
        if embeddings.shape[1] != self.prototypes_.shape[1]:
            raise InputError(
                f"unit embeddings have {embeddings.shape[1]} dims, the zeroshot prototypes "
                f"{self.prototypes_.shape[1]}: embed units and themes with the same model"
            )
        units = unit_rows(embeddings)
        k = int(self.owner_.max()) + 1
        out = np.empty((len(units), k), dtype=float)
        for j in range(k):
            protos = self.prototypes_[self.owner_ == j]
            if self.aggregate == "centroid":
                out[:, j] = units @ unit_rows(protos.mean(axis=0, keepdims=True))[0]
                continue
            sims = units @ protos.T
            out[:, j] = sims.max(axis=1) if self.aggregate == "max" else sims.mean(axis=1)
        return out

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

    def _get_state(self, arrays: dict[str, np.ndarray], prefix: str, folder: Path) -> dict:
        for name in ("prototypes_", "owner_", "low_", "high_"):
            arrays[f"{prefix}/{name.rstrip('_')}"] = np.asarray(getattr(self, name))
        return {}

    def _set_state(
        self, state: dict, arrays: Mapping[str, np.ndarray], prefix: str, folder: Path
    ) -> None:
        for name in ("prototypes_", "owner_", "low_", "high_"):
            setattr(self, name, arrays[f"{prefix}/{name.rstrip('_')}"])

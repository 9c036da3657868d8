"""Sentence pooling: score a text and each of its sentences with a base method, keep the max.

A paragraph often names a theme in one sentence among several; its whole-text embedding then
dilutes the signal. The base method is trained on whole texts as usual; at scoring time every text
is also cut into sentences (``topics.preprocess.segment.sentence_spans``) and a theme's score is
the largest over the text and its sentences. Thresholds are tuned, as for every method, on the
pooled scores of inner validation splits of the training data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from topics.classifier.methods.base import Inputs, ThemeClassifier
from topics.data.types import InputError
from topics.embedding.base import Embedder
from topics.preprocess.segment import sentence_spans
from topics.themes.taxonomy import Theme


def pieces(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Return each text followed by its sentences (when it has several), and the owner index."""
    out, owner = [], []
    for i, text in enumerate(texts):
        spans = sentence_spans(text)
        parts = [text] + ([text[a:b] for a, b in spans] if len(spans) > 1 else [])
        out.extend(parts)
        owner.extend([i] * len(parts))
    return out, np.asarray(owner, dtype=np.int64)


class SentencePooledClassifier(ThemeClassifier):
    """Max over a text and its sentences of a base method's scores.

    Args:
        themes: Taxonomy themes or class names.
        base: Config of the base method (``method`` and fixed hyperparameters; no ``grid``).
        embedder: Embeds the sentences (and texts when ``embeddings=`` is not given).
        tokenizer: Passed to a base method that takes one.
        grid: Hyperparameter grid (of this wrapper's own arguments; usually none).
        inner_splits: Most inner tuning splits.
        seed: Seed of the folds and of the base method.
    """

    method = "sentence_max"
    needs_embeddings = True

    def __init__(
        self,
        themes: Sequence[Theme | str],
        base: Mapping[str, Any] | None = None,
        embedder: Embedder | None = None,
        tokenizer: Callable[[str], list[str]] | None = None,
        grid: Mapping[str, Sequence[Any]] | None = None,
        inner_splits: int = 5,
        seed: int | None = None,
    ) -> None:
        super().__init__(themes, grid, inner_splits, seed)
        self.base = base
        self.embedder = embedder
        self.tokenizer = tokenizer

    def build_base(self) -> ThemeClassifier:
        """Return the unfitted base method (its own grid is ignored)."""
        from topics.classifier.methods.registry import build_classifier

        if not self.base or "method" not in self.base:
            raise InputError("classifier 'sentence_max' needs base: {method: ..., ...}")
        model = build_classifier(
            {**dict(self.base), "grid": None}, self.themes, self.tokenizer, self.embedder
        )
        if type(model)._prepare is not ThemeClassifier._prepare or model.needs_topics:
            raise InputError(
                f"sentence_max: base '{model.method}' must learn from fixed inputs "
                "(keywords, zeroshot, embed_*, stacked)"
            )
        return model.spawn(seed=self.seed)

    def _fit_core(self, data: Inputs, Y: np.ndarray) -> SentencePooledClassifier:
        self.base_ = self.build_base()._fit_core(data, Y)
        return self

    def _score(self, data: Inputs) -> np.ndarray:
        texts, owner = pieces(data.texts)
        if self.embedder is None:
            raise InputError("classifier 'sentence_max' needs an embedder for the sentences")
        vectors = np.asarray(self.embedder.embed(texts))
        scores = self.base_._score(Inputs(texts, vectors))
        out = np.full((len(data), scores.shape[1]), -np.inf)
        np.maximum.at(out, owner, scores)
        return out

    def _get_state(self, arrays: dict[str, np.ndarray], prefix: str, folder: Path) -> dict:
        return {"base": self.base_._get_state(arrays, f"{prefix}/base", folder)}

    def _set_state(
        self, state: dict, arrays: Mapping[str, np.ndarray], prefix: str, folder: Path
    ) -> None:
        self.base_ = self.build_base()
        self.base_._set_state(state["base"], arrays, f"{prefix}/base", folder)

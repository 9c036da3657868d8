"""A stacked ensemble: member classifiers' scores -> one calibrated logistic model per theme.

Member scores for the stacker are out-of-fold (K folds of the data given to ``_fit_core``), so the
stacker learns how far each member can be trusted on units it has not seen. The stacker is a
plain (unweighted) logistic regression per theme on that theme's member scores, so its output is
a calibrated probability; per-theme thresholds are then tuned by the base class on inner splits,
as for every method.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from topics.classifier.methods.base import Inputs, ThemeClassifier
from topics.classifier.methods.columns import columns_from_state, columns_state
from topics.classifier.methods.folds import inner_folds
from topics.data.types import InputError
from topics.embedding.base import Embedder
from topics.themes.taxonomy import Theme


class StackedClassifier(ThemeClassifier):
    """Stack member classifiers with a calibrated logistic regression per theme.

    Args:
        themes: Taxonomy themes.
        members: Member configs (``method`` and fixed hyperparameters, as in
            ``configs/classifier/*.yaml``; no ``grid``: members are not tuned here).
        embedder: Passed to members that need one.
        tokenizer: Passed to members that need one.
        C: Inverse regularisation strength of the stacker.
        stack_splits: Folds of the out-of-fold member scores the stacker learns from.
        grid: Hyperparameter grid (e.g. ``{"C": [0.1, 1.0]}``).
        inner_splits: Most inner tuning splits.
        seed: Seed of the folds and solvers.
    """

    method = "stacked"
    needs_embeddings = True

    def __init__(
        self,
        themes: Sequence[Theme | str],
        members: Sequence[Mapping[str, Any]] = (),
        embedder: Embedder | None = None,
        tokenizer: Callable[[str], list[str]] | None = None,
        C: float = 1.0,
        stack_splits: int = 5,
        grid: Mapping[str, Sequence[Any]] | None = None,
        inner_splits: int = 5,
        seed: int | None = None,
    ) -> None:
        super().__init__(themes, grid, inner_splits, seed)
        self.members = members
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.C = C
        self.stack_splits = stack_splits

    def build_members(self) -> list[ThemeClassifier]:
        """Return the unfitted members (their own grids are ignored)."""
        from topics.classifier.methods.registry import build_classifier

        if not self.members:
            raise InputError("classifier 'stacked' needs a non-empty list of members")
        out = []
        for cfg in self.members:
            member = build_classifier(
                {**dict(cfg), "grid": None}, self.themes, self.tokenizer, self.embedder
            )
            if type(member)._prepare is not ThemeClassifier._prepare or member.needs_topics:
                raise InputError(
                    f"stacked: member '{member.method}' fine-tunes an encoder or needs topics; "
                    "members must learn from fixed inputs (keywords, zeroshot, embed_*)"
                )
            out.append(member.spawn(seed=self.seed))
        return out

    def _member_scores(self, members: Sequence[ThemeClassifier], data: Inputs) -> np.ndarray:
        """Return ``(n, k, m)`` scores of fitted members."""
        return np.stack([m._score(data) for m in members], axis=2)

    def _fit_core(self, data: Inputs, Y: np.ndarray) -> StackedClassifier:
        prototypes = self.build_members()
        oof = np.zeros((*Y.shape, len(prototypes)))
        for train, valid in inner_folds(len(data), None, self.stack_splits, self.seed):
            fitted = [m.spawn()._fit_core(data.take(train), Y[train]) for m in prototypes]
            oof[valid] = self._member_scores(fitted, data.take(valid))
        self.stackers_: list[LogisticRegression | float] = []
        for j in range(Y.shape[1]):
            if Y[:, j].min() == Y[:, j].max():
                self.stackers_.append(float(Y[0, j]))
                continue
            model = LogisticRegression(C=self.C, max_iter=2000, random_state=self.seed)
            self.stackers_.append(model.fit(oof[:, j, :], Y[:, j]))
        self.members_ = [m.spawn()._fit_core(data, Y) for m in prototypes]
        return self

    def _score(self, data: Inputs) -> np.ndarray:
        Z = self._member_scores(self.members_, data)
        out = np.empty(Z.shape[:2])
        for j, model in enumerate(self.stackers_):
            out[:, j] = model if isinstance(model, float) else model.predict_proba(Z[:, j, :])[:, 1]
        return out

    def _get_state(self, arrays: dict[str, np.ndarray], prefix: str, folder: Path) -> dict:
        members = [
            m._get_state(arrays, f"{prefix}/m{i}", folder) for i, m in enumerate(self.members_)
        ]
        return {"members": members, "stackers": columns_state(self.stackers_, arrays, prefix)}

    def _set_state(
        self, state: dict, arrays: Mapping[str, np.ndarray], prefix: str, folder: Path
    ) -> None:
        self.members_ = self.build_members()
        for i, (member, sub) in enumerate(zip(self.members_, state["members"], strict=True)):
            member._set_state(sub, arrays, f"{prefix}/m{i}", folder)
        self.stackers_ = columns_from_state(state["stackers"], dict(arrays))

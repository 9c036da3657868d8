"""A stacked ensemble: member classifiers' scores -> one calibrated logistic model per theme.

Member scores for the stacker are out-of-fold (K folds of the data given to ``_fit_core``), so the
stacker learns how far each member can be trusted on units it has not seen. The stacker is a
plain (unweighted) logistic regression per theme on that theme's member scores, so its output is
a calibrated probability. Per-theme thresholds are tuned either by the base class on inner
splits, as for every method (``thresholds: inner``: the members are refitted
``(stack_splits + 1) * inner_splits`` more times), or on the stacker's own out-of-fold
probabilities over the same folds as the member scores (``thresholds: stack_oof``: no refits
beyond the ``stack_splits + 1`` fits, which is what makes a fine-tuned encoder affordable as a
member; the stacker's out-of-fold probabilities rest on member scores whose models saw the
other folds, the usual small optimism of stacking).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from topics.classifier.methods.base import Inputs, ThemeClassifier
from topics.classifier.methods.columns import columns_from_state, columns_state
from topics.classifier.methods.folds import Split, inner_folds
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
        thresholds: ``inner`` (tuned on inner splits, each refitting the whole stack) or
            ``stack_oof`` (tuned on the stacker's out-of-fold probabilities; no grid).
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
        thresholds: str = "inner",
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
        self.thresholds = thresholds

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
                    f"stacked: member '{member.method}' transforms its inputs or needs topics; "
                    "use members that learn in one step (keywords, zeroshot, embed_*, finetune)"
                )
            out.append(member.spawn(seed=self.seed))
        return out

    def _member_scores(self, members: Sequence[ThemeClassifier], data: Inputs) -> np.ndarray:
        """Return ``(n, k, m)`` scores of fitted members."""
        return np.stack([m._score(data) for m in members], axis=2)

    def fit(
        self,
        texts: Sequence[str],
        Y: Any,
        embeddings: np.ndarray | None = None,
        topics: np.ndarray | None = None,
        groups: Sequence | np.ndarray | None = None,
    ) -> StackedClassifier:
        """Fit as every method does (``thresholds: inner``), or in one pass (``stack_oof``).

        With ``stack_oof`` the member folds are by group when ``groups`` is given, the stacker's
        out-of-fold probabilities over them tune the thresholds, and nothing is refitted.
        """
        if self.thresholds == "inner":
            return super().fit(texts, Y, embeddings, topics, groups)  # type: ignore[return-value]
        if self.thresholds != "stack_oof":
            raise InputError(
                f"classifier 'stacked': thresholds is {self.thresholds!r}; use inner or stack_oof"
            )
        if self.grid:
            raise InputError("classifier 'stacked' with thresholds: stack_oof takes no grid")
        start = time.perf_counter()
        data, Y = self._fit_inputs(texts, Y, embeddings, topics)
        folds = inner_folds(len(data), groups, self.stack_splits, self.seed)
        self._fit_stack(data, Y, folds)
        scores = np.zeros(Y.shape)
        for train, valid in folds:
            for j, model in enumerate(self._fit_stackers(self.member_oof_[train], Y[train])):
                scores[valid, j] = self._stacker_score(model, self.member_oof_[valid, j, :])
        self._record_one_pass(folds, scores, Y, start)
        return self

    def _fit_core(self, data: Inputs, Y: np.ndarray) -> StackedClassifier:
        return self._fit_stack(data, Y, inner_folds(len(data), None, self.stack_splits, self.seed))

    def _fit_stack(self, data: Inputs, Y: np.ndarray, folds: list[Split]) -> StackedClassifier:
        prototypes = self.build_members()
        oof = np.zeros((*Y.shape, len(prototypes)))
        for train, valid in folds:
            fitted = [m.spawn()._fit_core(data.take(train), Y[train]) for m in prototypes]
            oof[valid] = self._member_scores(fitted, data.take(valid))
        self.member_oof_ = oof
        self.stackers_ = self._fit_stackers(oof, Y)
        self.members_ = [m.spawn()._fit_core(data, Y) for m in prototypes]
        return self

    def _fit_stackers(self, oof: np.ndarray, Y: np.ndarray) -> list[LogisticRegression | float]:
        """One logistic regression per theme on its member scores (a constant if one class)."""
        out: list[LogisticRegression | float] = []
        for j in range(Y.shape[1]):
            if Y[:, j].min() == Y[:, j].max():
                out.append(float(Y[0, j]))
                continue
            model = LogisticRegression(C=self.C, max_iter=2000, random_state=self.seed)
            out.append(model.fit(oof[:, j, :], Y[:, j]))
        return out

    @staticmethod
    def _stacker_score(model: LogisticRegression | float, Z: np.ndarray) -> np.ndarray:
        if isinstance(model, float):
            return np.full(len(Z), model)
        return model.predict_proba(Z)[:, 1]

    def _score(self, data: Inputs) -> np.ndarray:
        Z = self._member_scores(self.members_, data)
        out = np.empty(Z.shape[:2])
        for j, model in enumerate(self.stackers_):
            out[:, j] = self._stacker_score(model, Z[:, j, :])
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

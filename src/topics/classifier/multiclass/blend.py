"""``classifier=blend``: a weighted mean of the calibrated probabilities of several members.

One stratified validation split is carved from the training texts. Every member is trained on the
rest (train minus validation) and makes its own choices on the split (hyperparameters, early
stopping, a softmax temperature of its scores); the blend then fits the member weights on the same
split, on a grid over the simplex (step ``weight_step``), for ``objective``. The weights are thus
fitted on the members' out-of-sample predictions. With ``refit_members`` (the default), the
members whose config asks for it (``refit``: the lexical models by default) are then refitted on
train + validation with their choices and temperature kept, so they learn from every training
text; the fine-tuned encoder stays as trained on train minus validation unless its config sets
``refit`` (``finetune_refit``: a second fine-tuning run, about doubling the job).

The objective at the fitted weights is in-sample for the weights, so a blend with more members
never scores worse on it. To compare blends with different members, :func:`cross_fitted_scores`
also scores the validation split with weights fitted on its other folds
(``cross_fitted/log_loss`` and ``cross_fitted/accuracy`` in ``best_params_``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from topics.classifier.multiclass.base import (
    SingleLabelClassifier,
    log_loss,
    tune_score,
)
from topics.data.types import InputError

#: Builds an unfitted member from its config (the registry's builder).
MemberBuilder = Callable[[Mapping[str, Any]], SingleLabelClassifier]


def simplex_grid(n_members: int, step: float) -> np.ndarray:
    """Return all weight vectors on the simplex with coordinates in multiples of ``step``."""
    if not 0.0 < step <= 1.0 or abs(round(1.0 / step) - 1.0 / step) > 1e-9:
        raise InputError(f"blend.weight_step must divide 1 (e.g. 0.05, 0.1), got {step!r}")
    n = round(1.0 / step)
    rows = [c for c in itertools.product(range(n + 1), repeat=n_members - 1) if sum(c) <= n]
    return np.asarray([[*c, n - sum(c)] for c in rows], dtype=float) / n


def fit_weights(
    probas: Sequence[np.ndarray], y: np.ndarray, step: float = 0.05, objective: str = "log_loss"
) -> tuple[np.ndarray, float]:
    """Return the simplex weights maximising ``objective`` of the mixed probabilities, and it.

    Ties (e.g. on accuracy) go to the lower log-loss, then to the more even weights.
    """
    stack = np.stack([np.asarray(p, dtype=float) for p in probas])
    best, best_key = None, None
    for w in simplex_grid(len(probas), step):
        mixed = np.tensordot(w, stack, axes=1)
        score = tune_score(objective, y, mixed)
        key = (score, -log_loss(mixed, y), -float(np.abs(w - 1.0 / len(w)).sum()))
        if best_key is None or key > best_key:
            best, best_key = w, key
    assert best is not None and best_key is not None
    return best, float(best_key[0])


def cross_fitted_mix(
    probas: Sequence[np.ndarray],
    y: np.ndarray,
    step: float = 0.05,
    objective: str = "log_loss",
    n_folds: int = 5,
    seed: int | None = None,
) -> np.ndarray:
    """The mixed probabilities of ``y``'s rows, each fold mixed with the others' weights.

    The weights of every fold are fitted by :func:`fit_weights` on the remaining folds
    (``StratifiedKFold(n_folds, shuffle=True, random_state=seed)``), so the mix is out-of-sample
    for the weights (not for the members' temperatures, one number each).
    """
    stack = np.stack([np.asarray(p, dtype=float) for p in probas])
    mixed = np.empty(stack.shape[1:])
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    for fit_rows, score_rows in folds.split(np.zeros(len(y)), y):
        w, _ = fit_weights(list(stack[:, fit_rows]), y[fit_rows], step, objective)
        mixed[score_rows] = np.tensordot(w, stack[:, score_rows], axes=1)
    return mixed


def cross_fitted_scores(
    probas: Sequence[np.ndarray],
    y: np.ndarray,
    step: float = 0.05,
    objective: str = "log_loss",
    n_folds: int = 5,
    seed: int | None = None,
) -> dict[str, float]:
    """Log-loss and accuracy of :func:`cross_fitted_mix` on ``y``."""
    mixed = cross_fitted_mix(probas, y, step, objective, n_folds, seed)
    return {
        "cross_fitted/log_loss": log_loss(mixed, y),
        "cross_fitted/accuracy": tune_score("accuracy", y, mixed),
    }


class BlendClassifier(SingleLabelClassifier):
    """Weighted mean of members' temperature-calibrated probabilities (module docstring).

    Args:
        members: Member configs (``configs/classifier/*.yaml`` nodes) or their names.
        objective: What the weights maximise on validation: ``log_loss`` (negated),
            ``accuracy`` or ``macro_f1``.
        weight_step: Grid step of the weights.
        val_size: Share of the training texts carved out for validation.
        refit_members: Refit the members that can (``can_refit``) on train + validation once
            the weights are fitted.
        seed: Seed of the split.
        builder: Builds a member from its config (injected by the registry).
    """

    method = "blend"
    can_refit = False

    def __init__(
        self,
        members: Sequence[Mapping[str, Any]] = (),
        objective: str = "log_loss",
        weight_step: float = 0.05,
        val_size: float = 0.1,
        refit_members: bool = True,
        seed: int | None = None,
        builder: MemberBuilder | None = None,
    ) -> None:
        super().__init__(val_size, False, seed)
        self.members = members
        self.objective = objective
        self.weight_step = weight_step
        self.refit_members = refit_members
        self.builder = builder

    def _after_choices(self, texts: list[str], y: np.ndarray) -> None:
        """Refit the members that can (``refit_members``) on every text, choices kept.

        It runs after the blend's own temperature and validation score, which must see
        out-of-sample member predictions.
        """
        labels = self.classes_[y].tolist()
        self.refitted_members_: list[str] = []
        for name, member in self.members_:
            if self.refit_members and member.can_refit and member.refit:
                member.refit_on(texts, labels)
                self.refitted_members_.append(name)
        if self.refitted_members_:
            self.trained_on_ += (
                f"; members {', '.join(self.refitted_members_)} then refitted on all "
                f"{len(texts)} texts with their choices kept"
            )

    def _fit_choose(
        self, train: list[str], y: np.ndarray, val: list[str], y_val: np.ndarray
    ) -> None:
        if len(self.members) < 2 or self.builder is None:
            raise InputError("classifier=blend needs at least two members and a member builder")
        labels = self.classes_[y].tolist()
        val_labels = self.classes_[y_val].tolist()
        self.members_: list[tuple[str, SingleLabelClassifier]] = []
        probas = []
        for cfg in self.members:
            member = self.builder(cfg).fit(train, labels, val, val_labels)
            if member.classes_.tolist() != self.classes_.tolist():
                raise InputError(f"blend member {_name(cfg)} saw other classes than the blend")
            self.members_.append((_name(cfg), member))
            probas.append(member.predict_proba(val))
        self.weights_, score = fit_weights(probas, y_val, self.weight_step, self.objective)
        self.member_val_scores_ = {
            name: {"accuracy": tune_score("accuracy", y_val, p), "log_loss": log_loss(p, y_val)}
            for (name, _), p in zip(self.members_, probas, strict=True)
        }
        self.best_params_ = {
            **{
                f"weight/{n}": float(w)
                for (n, _), w in zip(self.members_, self.weights_, strict=True)
            },
            **{f"temperature/{n}": m.temperature_ for n, m in self.members_},
            **{f"{n}/{k}": v for n, m in self.members_ for k, v in m.best_params_.items()},
            f"val_{self.objective}": score,
            **cross_fitted_scores(probas, y_val, self.weight_step, self.objective, seed=self.seed),
        }

    def _scores(self, texts: list[str]) -> np.ndarray:
        mixed = sum(
            w * m.predict_proba(texts)
            for (_, m), w in zip(self.members_, self.weights_, strict=True)
        )
        return np.log(np.clip(mixed, 1e-12, 1.0))

    def member_probas(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Return each member's calibrated probabilities of ``texts``."""
        return {name: m.predict_proba(texts) for name, m in self.members_}


def _name(cfg: Mapping[str, Any] | str) -> str:
    if isinstance(cfg, str):
        return cfg
    return str(cfg.get("name") or cfg.get("method"))

"""Per-theme decision thresholds chosen to maximise F1, and a threshold-free selection score."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score

#: Threshold of a theme without positive training units: above every score, so never predicted.
NEVER = float(np.nextafter(1.0, 2.0))


def best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """Return the threshold on ``scores`` that maximises F1 for the binary labels ``y``.

    Candidate cuts lie between consecutive distinct scores; the chosen threshold is the midpoint
    between the lowest predicted-positive score and the next lower score (ties: fewer positives).
    Predict positive where ``score >= threshold``.
    """
    scores = np.asarray(scores, dtype=float)
    y = np.asarray(y).astype(bool)
    n_pos = int(y.sum())
    if n_pos == 0 or len(scores) == 0:
        return NEVER
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], y[order]
    tp = np.cumsum(hits)
    predicted = np.arange(1, len(ranked) + 1)
    f1 = 2 * tp / (predicted + n_pos)
    distinct = np.r_[ranked[:-1] > ranked[1:], True]
    best = int(np.argmax(np.where(distinct, f1, -1.0)))
    if best + 1 < len(ranked):
        return float((ranked[best] + ranked[best + 1]) / 2)
    return float(ranked[best])


def tune_thresholds(scores: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Return one F1-maximising threshold per column of ``scores`` / ``Y`` (shape ``(k,)``)."""
    scores = np.asarray(scores, dtype=float)
    Y = np.asarray(Y)
    if scores.shape != Y.shape:
        raise ValueError(f"scores {scores.shape} and labels {Y.shape} differ in shape")
    return np.array([best_threshold(scores[:, j], Y[:, j]) for j in range(Y.shape[1])])


def macro_average_precision(scores: np.ndarray, Y: np.ndarray) -> float:
    """Mean average precision over the columns that have positives (``nan`` if none do)."""
    values = [
        average_precision_score(Y[:, j], scores[:, j])
        for j in range(Y.shape[1])
        if 0 < Y[:, j].sum() < len(Y)
    ]
    return float(np.mean(values)) if values else float("nan")

"""Multi-label metrics of out-of-fold predictions, with cluster-bootstrap confidence intervals."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Levels the bootstrap can resample.
BOOTSTRAP_LEVELS = ("article", "unit")


def _counts(Y: np.ndarray, P: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, ...]:
    """Weighted TP, FP, FN per theme; ``weights`` is ``(n,)`` or ``(B, n)``."""
    Y, P = Y.astype(float), P.astype(float)
    return weights @ (Y * P), weights @ ((1 - Y) * P), weights @ (Y * (1 - P))


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """F1 per cell; ``nan`` where a theme has neither gold nor predicted units."""
    denom = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), np.nan)


def macro_micro_f1(
    Y: np.ndarray, P: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return macro-F1 (mean over themes present in gold or prediction) and micro-F1.

    With ``weights`` of shape ``(B, n)`` (unit multiplicities of bootstrap resamples) the
    results have shape ``(B,)``; without, they are scalars of the plain sample.
    """
    w = np.ones(len(Y)) if weights is None else weights
    tp, fp, fn = _counts(Y, P, w)
    with np.errstate(all="ignore"):
        macro = np.nanmean(_f1(tp, fp, fn), axis=-1)
        micro = _f1(tp.sum(-1), fp.sum(-1), fn.sum(-1))
    return np.nan_to_num(macro), np.nan_to_num(micro)


def per_theme_table(Y: np.ndarray, P: np.ndarray, theme_ids: Sequence[str]) -> pd.DataFrame:
    """Return precision, recall, F1, support, predicted, tp, fp, fn per theme (index: id)."""
    tp, fp, fn = _counts(Y, P, np.ones(len(Y)))
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0.0)
        recall = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 0.0)
    table = pd.DataFrame(
        {
            "precision": precision,
            "recall": recall,
            "f1": np.nan_to_num(_f1(tp, fp, fn)),
            "support": Y.sum(axis=0).astype(int),
            "predicted": P.sum(axis=0).astype(int),
            "tp": tp.astype(int),
            "fp": fp.astype(int),
            "fn": fn.astype(int),
        },
        index=pd.Index(list(theme_ids), name="theme"),
    )
    return table


def resample_weights(clusters: np.ndarray, n_resamples: int, seed: int | None) -> np.ndarray:
    """Return ``(n_resamples, n)`` unit multiplicities of a cluster bootstrap.

    Each resample draws as many clusters as there are, with replacement; a unit counts as often
    as its cluster was drawn. Pass one cluster per unit for a plain unit bootstrap.
    """
    labels, inverse = np.unique(np.asarray(clusters).astype(str), return_inverse=True)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(labels), size=(n_resamples, len(labels)))
    per_cluster = np.stack([np.bincount(row, minlength=len(labels)) for row in draws])
    return per_cluster[:, inverse].astype(float)


def bootstrap_ci(
    Y: np.ndarray,
    P: np.ndarray,
    clusters: np.ndarray,
    n_resamples: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of macro- and micro-F1 over bootstrap resamples of ``clusters``."""
    if n_resamples < 1:
        return {"macro_f1": (np.nan, np.nan), "micro_f1": (np.nan, np.nan)}
    macro, micro = macro_micro_f1(Y, P, resample_weights(clusters, n_resamples, seed))
    tail = (1 - level) / 2 * 100
    return {
        name: (float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail)))
        for name, v in (("macro_f1", macro), ("micro_f1", micro))
    }


def summary_metrics(
    Y: np.ndarray,
    P: np.ndarray,
    theme_ids: Sequence[str],
    clusters: np.ndarray,
    n_resamples: int = 1000,
    seed: int | None = None,
    prefix: str = "themes",
) -> dict[str, float]:
    """Return the flat metric dict of a multi-label evaluation (``prefix/metric`` keys).

    Keys: ``macro_f1``, ``micro_f1``, ``macro_precision``, ``macro_recall``, ``hamming_loss``,
    ``subset_accuracy``, the CI bounds ``{macro,micro}_f1_ci_{low,high}``, the baselines
    ``baseline_all_negative_macro_f1`` and ``baseline_all_positive_macro_f1``, and per theme
    ``<theme>/f1``.
    """
    macro, micro = macro_micro_f1(Y, P)
    table = per_theme_table(Y, P, theme_ids)
    ci = bootstrap_ci(Y, P, clusters, n_resamples, seed)
    all_pos, _ = macro_micro_f1(Y, np.ones_like(Y))
    out = {
        "macro_f1": float(macro),
        "micro_f1": float(micro),
        "macro_precision": float(table["precision"].mean()),
        "macro_recall": float(table["recall"].mean()),
        "hamming_loss": float((Y != P).mean()),
        "subset_accuracy": float((Y == P).all(axis=1).mean()),
        "macro_f1_ci_low": ci["macro_f1"][0],
        "macro_f1_ci_high": ci["macro_f1"][1],
        "micro_f1_ci_low": ci["micro_f1"][0],
        "micro_f1_ci_high": ci["micro_f1"][1],
        "baseline_all_negative_macro_f1": 0.0,
        "baseline_all_positive_macro_f1": float(all_pos),
    }
    out.update({f"{theme}/f1": float(f) for theme, f in table["f1"].items()})
    return {f"{prefix}/{k}": v for k, v in out.items()}

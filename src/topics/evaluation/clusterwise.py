"""Clusterwise stability (Hennig 2007) and resampling of units for refits.

Hennig, C. (2007), "Cluster-wise assessment of cluster stability", *Computational Statistics &
Data Analysis* 52(1). A reference clustering is compared with clusterings of resamples of the
units: for each reference cluster ``T`` and each refit ``k`` (fitted on the drawn units ``D_k``),
``T`` is restricted to ``D_k`` and matched with the refit cluster ``C`` of highest Jaccard
``|T ∩ D_k ∩ C| / |(T ∩ D_k) ∪ C|``; the cluster's stability is the mean of these best
Jaccards over the refits that drew any of its members. Outliers (``-1``) of a refit belong to no
cluster, so a reference cluster that a refit leaves as noise scores 0 there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from topics.data.types import InputError

#: Label of a unit a refit did not draw.
NOT_DRAWN = -2
RESAMPLE_MODES = ("bootstrap", "subsample", "none")


def resample_units(n: int, mode: str, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted positions of the units one refit is fitted on.

    Args:
        n: Number of units.
        mode: ``bootstrap`` (``n`` draws with replacement; each drawn unit is kept once, about
            63% of the units), ``subsample`` (``round(fraction * n)`` units without
            replacement) or ``none`` (every unit).
        fraction: Share of units drawn by ``subsample``, in ``(0, 1]``.
        rng: Random generator of this refit.

    Returns:
        Sorted, distinct unit positions.
    """
    if mode == "none":
        return np.arange(n)
    if mode == "bootstrap":
        return np.unique(rng.integers(0, n, size=n))
    if mode == "subsample":
        if not 0.0 < fraction <= 1.0:
            raise InputError(f"sample_fraction must be in (0, 1], got {fraction}")
        size = max(1, int(round(fraction * n)))
        return np.sort(rng.choice(n, size=size, replace=False))
    raise InputError(f"resample={mode!r}; use one of {', '.join(RESAMPLE_MODES)}")


def spread(drawn: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Labels of the drawn units spread over all ``n`` units (``NOT_DRAWN`` elsewhere)."""
    full = np.full(n, NOT_DRAWN, dtype=int)
    full[np.asarray(drawn, dtype=int)] = np.asarray(labels, dtype=int)
    return full


def best_jaccard(reference: np.ndarray, refit: np.ndarray) -> dict[int, float]:
    """Best Jaccard of each reference cluster with a cluster of one refit.

    Args:
        reference: Reference label of every unit (``-1`` = outlier, not scored).
        refit: The refit's label of every unit (``-1`` outlier, ``NOT_DRAWN`` not drawn).

    Returns:
        ``{cluster: best Jaccard}`` for the reference clusters with a drawn member.
    """
    reference, refit = np.asarray(reference, dtype=int), np.asarray(refit, dtype=int)
    drawn = refit != NOT_DRAWN
    ref, fit = reference[drawn], refit[drawn]
    clusters = np.unique(ref[ref >= 0])
    found = np.unique(fit[fit >= 0])
    if len(clusters) == 0:
        return {}
    if len(found) == 0:
        return {int(c): 0.0 for c in clusters}
    r_idx = np.searchsorted(clusters, ref)
    f_idx = np.searchsorted(found, fit)
    both = (ref >= 0) & (fit >= 0)
    table = np.zeros((len(clusters), len(found)))
    np.add.at(table, (r_idx[both], f_idx[both]), 1.0)
    size_r = np.bincount(r_idx[ref >= 0], minlength=len(clusters)).astype(float)
    size_f = np.bincount(f_idx[fit >= 0], minlength=len(found)).astype(float)
    jaccard = table / (size_r[:, None] + size_f[None, :] - table)
    return {int(c): float(v) for c, v in zip(clusters, jaccard.max(axis=1), strict=True)}


def clusterwise_stability(reference: Sequence[int], refits: np.ndarray) -> dict[int, float]:
    """Mean best Jaccard of each reference cluster over the refits (Hennig's stability).

    Args:
        reference: Reference label of every unit (``-1`` = outlier).
        refits: ``(n_refits, n_units)`` labels of the refits, ``NOT_DRAWN`` where a refit did
            not draw the unit.

    Returns:
        ``{cluster: stability in [0, 1]}`` (NaN for a cluster no refit drew).
    """
    reference = np.asarray(reference, dtype=int)
    refits = np.atleast_2d(np.asarray(refits, dtype=int))
    if refits.shape[1] != len(reference):
        raise InputError(
            f"clusterwise_stability: refits cover {refits.shape[1]} units, the reference "
            f"{len(reference)}; pass one label per unit"
        )
    scores: dict[int, list[float]] = {int(c): [] for c in np.unique(reference[reference >= 0])}
    for refit in refits:
        for cluster, value in best_jaccard(reference, refit).items():
            scores[cluster].append(value)
    return {c: float(np.mean(v)) if v else float("nan") for c, v in scores.items()}

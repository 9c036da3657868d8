"""Agreement between unit topics and gold labels (NMI, ARI, V-measure)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, v_measure_score

from topics.data.types import InputError

OUTLIER = -1

_SCORES = {
    "nmi": normalized_mutual_info_score,
    "ari": adjusted_rand_score,
    "v_measure": v_measure_score,
}


def _scores(topics: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    if len(topics) < 2:
        return {name: float("nan") for name in _SCORES}
    return {name: float(fn(labels, topics)) for name, fn in _SCORES.items()}


def label_agreement(
    topics: Sequence[int],
    labels: Sequence[object],
    outliers: Sequence[bool] | None = None,
    prefix: str = "topics/",
) -> dict[str, float]:
    """NMI, ARI and V-measure between topics and gold labels, with and without outliers.

    Units whose gold label is missing (None / NaN) are left out of every score.

    Args:
        topics: Topic of each unit (``-1`` = outlier).
        labels: Gold label of each unit, aligned with ``topics``.
        outliers: Units to leave out of the ``*_no_outliers`` scores; default: ``topics == -1``.
            Pass the clustering's own outliers (``topic_before_outlier_reduction == -1``) to
            score only the units the clusterer placed when outliers were reassigned.
        prefix: Prefix of the metric names.

    Returns:
        ``{prefix}nmi``, ``ari``, ``v_measure`` (outliers count as one cluster of their own),
        the same with ``_no_outliers``, ``{prefix}n_labeled`` / ``n_labeled_no_outliers``, and
        ``{prefix}coverage_no_outliers`` (the share of labeled units the ``_no_outliers``
        scores keep).
        A score is NaN when fewer than two units remain.

    Raises:
        InputError: The inputs differ in length.
    """
    topic_arr = np.asarray(topics, dtype=int)
    label_ser = pd.Series(list(labels), dtype=object)
    mask = topic_arr == OUTLIER if outliers is None else np.asarray(list(outliers), dtype=bool)
    if not (len(topic_arr) == len(label_ser) == len(mask)):
        raise InputError(
            f"label_agreement: {len(topic_arr)} topics, {len(label_ser)} labels and "
            f"{len(mask)} outlier flags; pass one of each per unit, in the same order"
        )
    labeled = label_ser.notna().to_numpy()
    gold = label_ser.astype(str).to_numpy()
    metrics: dict[str, float] = {}
    for suffix, keep in (("", labeled), ("_no_outliers", labeled & ~mask)):
        for name, value in _scores(topic_arr[keep], gold[keep]).items():
            metrics[f"{prefix}{name}{suffix}"] = value
        metrics[f"{prefix}n_labeled{suffix}"] = float(keep.sum())
    # every *_no_outliers score comes with the share of labeled units it covers
    n_labeled = float(labeled.sum())
    metrics[f"{prefix}coverage_no_outliers"] = (
        float((labeled & ~mask).sum()) / n_labeled if n_labeled else float("nan")
    )
    return metrics

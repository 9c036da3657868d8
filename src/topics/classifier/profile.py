"""Per-article theme profiles: the share of each article's units that carry each theme."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from topics.classifier.protocols.figures import plot_profile_heatmap
from topics.data.types import InputError


def theme_profile(units: pd.DataFrame, pred: np.ndarray, theme_ids: Sequence[str]) -> pd.DataFrame:
    """Return the doc_id x theme table of unit shares.

    Args:
        units: Units table with a ``doc_id`` column; row ``i`` matches ``pred[i]``.
        pred: Multi-hot ``(n, k)`` predictions (or gold labels).
        theme_ids: Column names, in the order of ``pred``'s columns.

    Returns:
        One row per article (in order of first appearance), one column per theme, values in
        [0, 1]; the number of units per article is in ``profile.attrs["n_units"]``.

    Raises:
        InputError: Missing ``doc_id`` column or mismatched shapes.
    """
    if "doc_id" not in units.columns:
        raise InputError("theme_profile: the units table needs a doc_id column")
    pred = np.asarray(pred)
    if pred.shape != (len(units), len(theme_ids)):
        raise InputError(
            f"theme_profile: predictions have shape {pred.shape}, expected "
            f"({len(units)}, {len(theme_ids)}) for the units and themes given"
        )
    frame = pd.DataFrame(pred.astype(float), columns=list(theme_ids))
    frame["doc_id"] = units["doc_id"].to_numpy()
    grouped = frame.groupby("doc_id", sort=False)
    profile = grouped.mean()
    profile.attrs["n_units"] = grouped.size().to_dict()
    return profile


def write_profile_heatmap(profile: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Write the profile as a PNG heatmap and return its path."""
    return plot_profile_heatmap(profile, path, title)

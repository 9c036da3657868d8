"""Paired comparison of two settings' refit stability, with a bootstrap over refits.

Two stability jobs with the same seed draw the same resamples with the same refit seeds
(:func:`topics.evaluation.stability.stability_report`), so their pairwise scores
(``stability_pairs.csv``) can be compared pair by pair. The pairs of one job are not independent
(refit ``i`` appears in ``n - 1`` of them), so the CI resamples *refits*, not pairs: within each
job seed, draw ``n`` refit indices with replacement, keep the pairs of two different refits, and
average the paired differences over all seeds. Seeds are strata, not resampled: with a handful
of seeds a bootstrap over them says little.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from topics.data.types import InputError


@dataclass(frozen=True)
class RefitComparison:
    """Paired difference ``b - a`` of a pairwise stability score.

    Attributes:
        metric: The score compared (a column of ``stability_pairs.csv``, e.g. ``ari``).
        mean_a: Mean of ``a`` over every seed's pairs.
        mean_b: Mean of ``b`` over the same pairs.
        difference: ``mean_b - mean_a``.
        ci_low: Lower end of the 95% bootstrap CI of ``difference``.
        ci_high: Upper end.
        per_seed: ``{seed: mean difference over that seed's pairs}``.
        n_pairs: Pairs compared, over all seeds.
    """

    metric: str
    mean_a: float
    mean_b: float
    difference: float
    ci_low: float
    ci_high: float
    per_seed: dict[int, float]
    n_pairs: int


def _difference_matrix(a: pd.DataFrame, b: pd.DataFrame, metric: str, seed: int) -> np.ndarray:
    keys = ["run_a", "run_b"]
    for name, frame in (("a", a), ("b", b)):
        missing = [c for c in (*keys, metric) if c not in frame]
        if missing:
            raise InputError(f"seed {seed}, arm {name}: pairs lack columns {missing}")
    merged = a[[*keys, metric]].merge(b[[*keys, metric]], on=keys, suffixes=("_a", "_b"))
    if len(merged) != len(a) or len(merged) != len(b):
        raise InputError(
            f"seed {seed}: the arms' refit pairs differ ({len(a)} and {len(b)} pairs, "
            f"{len(merged)} shared); compare jobs run with the same stability.n_runs"
        )
    n = int(max(merged.run_a.max(), merged.run_b.max())) + 1
    diff = np.full((n, n), np.nan)
    values = (merged[f"{metric}_b"] - merged[f"{metric}_a"]).to_numpy(dtype=float)
    diff[merged.run_a, merged.run_b] = values
    diff[merged.run_b, merged.run_a] = values
    return diff


def _resampled_sum(diff: np.ndarray, draw: np.ndarray) -> tuple[float, int]:
    sub = diff[np.ix_(draw, draw)]
    upper = sub[np.triu_indices(len(draw), k=1)]
    upper = upper[np.isfinite(upper)]
    return float(upper.sum()), len(upper)


def compare_refits(
    a: dict[int, pd.DataFrame],
    b: dict[int, pd.DataFrame],
    metric: str = "ari",
    n_boot: int = 2000,
    seed: int = 0,
) -> RefitComparison:
    """Compare two settings' pairwise refit scores, paired by job seed and pair of refits.

    Args:
        a: ``{job seed: stability pairs}`` of the first setting (``run_a``, ``run_b``,
            ``metric`` columns).
        b: The same for the second setting, with the same seeds and pairs.
        metric: The pairwise score to compare.
        n_boot: Bootstrap resamples of the refits.
        seed: Seed of the bootstrap.

    Returns:
        The :class:`RefitComparison` of ``b - a``.

    Raises:
        InputError: The arms have other seeds or other pairs, or lack ``metric``.
    """
    if not a or set(a) != set(b):
        raise InputError(f"the arms have other seeds: {sorted(a)} and {sorted(b)}")
    seeds = sorted(a)
    diffs = {s: _difference_matrix(a[s], b[s], metric, s) for s in seeds}
    mean_a = float(np.mean(np.concatenate([a[s][metric].to_numpy(dtype=float) for s in seeds])))
    mean_b = float(np.mean(np.concatenate([b[s][metric].to_numpy(dtype=float) for s in seeds])))
    per_seed = {s: float(np.nanmean(d[np.triu_indices(len(d), k=1)])) for s, d in diffs.items()}
    n_pairs = sum(int(np.isfinite(d[np.triu_indices(len(d), k=1)]).sum()) for d in diffs.values())
    rng = np.random.default_rng(seed)
    stats = np.empty(n_boot)
    for k in range(n_boot):
        total, count = 0.0, 0
        for s in seeds:
            part, size = _resampled_sum(diffs[s], rng.integers(0, len(diffs[s]), len(diffs[s])))
            total, count = total + part, count + size
        stats[k] = total / count if count else np.nan
    low, high = np.nanpercentile(stats, [2.5, 97.5])
    return RefitComparison(
        metric, mean_a, mean_b, mean_b - mean_a, float(low), float(high), per_seed, n_pairs
    )

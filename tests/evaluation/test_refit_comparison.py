"""Paired comparison of two settings' refit pairs: hand cases for the estimate and its CI."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from topics.data.types import InputError
from topics.evaluation.refit_comparison import compare_refits


def _pairs(values: np.ndarray) -> pd.DataFrame:
    """Pairs frame of ``n`` refits whose pair (i, j) scores ``values[i, j]``."""
    n = len(values)
    rows = [
        {"run_a": i, "run_b": j, "ari": values[i, j]}
        for i, j in itertools.combinations(range(n), 2)
    ]
    return pd.DataFrame(rows)


def _random_scores(rng: np.random.Generator, n: int, level: float, noise: float) -> np.ndarray:
    m = level + noise * rng.standard_normal((n, n))
    return (m + m.T) / 2


def test_a_constant_shift_is_found_exactly_with_a_zero_width_interval():
    rng = np.random.default_rng(0)
    a = {s: _pairs(_random_scores(rng, 6, 0.7, 0.05)) for s in (1, 11)}
    b = {s: frame.assign(ari=frame.ari + 0.05) for s, frame in a.items()}
    c = compare_refits(a, b, n_boot=200)
    assert c.difference == pytest.approx(0.05)
    assert c.ci_low == pytest.approx(0.05) and c.ci_high == pytest.approx(0.05)
    assert c.n_pairs == 30
    assert c.per_seed == {1: pytest.approx(0.05), 11: pytest.approx(0.05)}


def test_noise_without_a_shift_gives_an_interval_around_zero():
    rng = np.random.default_rng(1)
    a = {s: _pairs(_random_scores(rng, 6, 0.7, 0.05)) for s in range(4)}
    b = {s: _pairs(_random_scores(rng, 6, 0.7, 0.05)) for s in range(4)}
    c = compare_refits(a, b, n_boot=500)
    assert c.ci_low < 0 < c.ci_high
    assert c.ci_low < c.difference < c.ci_high


def test_one_bad_refit_widens_the_interval_more_than_pair_noise_would():
    # refit 0 of arm b is off in all its 5 pairs: resampling refits (not pairs) must see that
    rng = np.random.default_rng(2)
    base = _random_scores(rng, 6, 0.7, 0.01)
    bad = base.copy()
    bad[0, :] -= 0.3
    bad[:, 0] -= 0.3
    c = compare_refits({1: _pairs(base)}, {1: _pairs(bad)}, n_boot=1000)
    assert c.difference == pytest.approx(-0.1)  # 5 of 15 pairs at -0.3
    assert c.ci_high - c.ci_low > 0.1


def test_arms_with_other_seeds_or_pairs_are_refused_by_name():
    rng = np.random.default_rng(3)
    six, five = _pairs(_random_scores(rng, 6, 0.7, 0.05)), _pairs(_random_scores(rng, 5, 0.7, 0.05))
    with pytest.raises(InputError, match="other seeds"):
        compare_refits({1: six}, {2: six})
    with pytest.raises(InputError, match="stability.n_runs"):
        compare_refits({1: six}, {1: five})
    with pytest.raises(InputError, match="lack columns"):
        compare_refits({1: six}, {1: six.rename(columns={"ari": "x"})})

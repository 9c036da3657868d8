"""NMI, ARI and V-measure against gold labels, with and without outliers, on a hand case."""

from __future__ import annotations

import math

import pytest

from topics.data.types import InputError
from topics.evaluation import label_agreement

# clusters 0 = {a, a}, 1 = {b, b}, outliers -1 = {a, b}
TOPICS = [0, 0, 1, 1, -1, -1]
LABELS = ["a", "a", "b", "b", "a", "b"]


def test_outliers_as_a_cluster_and_left_out():
    m = label_agreement(TOPICS, LABELS)
    # ARI: sum C(n_ij, 2) = 2, rows 3 x C(2, 2) = 3, columns 2 x C(3, 2) = 6, C(6, 2) = 15
    expected = 3 * 6 / 15
    assert m["topics/ari"] == pytest.approx((2 - expected) / ((3 + 6) / 2 - expected))
    # MI = H(label) - H(label | topic) = ln 2 - (2/6) ln 2; NMI (arithmetic) = V-measure
    mi = math.log(2) * (1 - 1 / 3)
    nmi = mi / ((math.log(2) + math.log(3)) / 2)
    assert m["topics/nmi"] == pytest.approx(nmi)
    assert m["topics/v_measure"] == pytest.approx(nmi)
    for name in ("nmi", "ari", "v_measure"):
        assert m[f"topics/{name}_no_outliers"] == pytest.approx(1.0)
    assert m["topics/n_labeled"] == 6 and m["topics/n_labeled_no_outliers"] == 4
    assert m["topics/coverage_no_outliers"] == pytest.approx(4 / 6)


def test_missing_labels_and_explicit_outlier_mask():
    labels = [*LABELS[:4], None, float("nan")]
    m = label_agreement(TOPICS, labels, prefix="x/")
    assert m["x/n_labeled"] == 4 and m["x/nmi"] == pytest.approx(1.0)
    # outliers given explicitly (e.g. the clustering's own -1 before reassignment)
    reassigned = [0, 0, 1, 1, 0, 1]
    m = label_agreement(reassigned, LABELS, outliers=[False] * 4 + [True, True])
    assert m["topics/ari"] == pytest.approx(1.0)
    assert m["topics/n_labeled_no_outliers"] == 4


def test_too_few_units_give_nan():
    m = label_agreement([-1, -1, 0], ["a", "b", "a"])
    assert math.isnan(m["topics/nmi_no_outliers"]) and not math.isnan(m["topics/nmi"])


def test_length_mismatch_raises():
    with pytest.raises(InputError, match="one of each per unit"):
        label_agreement([0, 1], ["a"])

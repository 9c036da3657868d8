"""The embedding members' training extras: synthetic multi-theme mixtures (made from training parts
only) and the one-thread linear fits."""

from __future__ import annotations

import numpy as np
import pytest

from topics.classifier.methods.base import Inputs
from topics.classifier.methods.embedded import EmbedLogRegClassifier
from topics.classifier.methods.mixing import is_latin, mix_examples
from topics.data.types import InputError

TEXTS = ["银行招聘算法工程师", "保险公司建设算力集群", "券商治理模型风险", "監管機構發布資料規範"]
TEXTS += ["A bank hires ML engineers", "An insurer builds a GPU cluster", "Model risk rules"]


def basis_inputs() -> tuple[list[str], np.ndarray, np.ndarray]:
    """One basis vector per example (so a mixture's support names its parts), random labels."""
    rng = np.random.default_rng(0)
    Y = (rng.random((len(TEXTS), 4)) < 0.4).astype(np.int8)
    return TEXTS, np.eye(len(TEXTS)) * 2.0, Y


def test_latin_detection_splits_english_from_chinese():
    assert [is_latin(t) for t in TEXTS] == [False] * 4 + [True] * 3
    assert not is_latin("工行发布AI+金融白皮书")


def test_a_mixture_is_the_length_weighted_mean_of_same_language_parts_with_their_label_union():
    texts, X, Y = basis_inputs()
    vectors, labels = mix_examples(texts, X, Y, n_mix=200, max_parts=3, seed=1)
    assert vectors.shape == (200, X.shape[1]) and labels.shape == (200, Y.shape[1])
    lengths = np.array([len(t) for t in texts], dtype=float)
    sizes = set()
    for v, y in zip(vectors, labels, strict=True):
        parts = np.flatnonzero(v > 1e-12)
        sizes.add(len(parts))
        assert len({is_latin(texts[i]) for i in parts}) == 1
        np.testing.assert_array_equal(y, Y[parts].max(axis=0))
        weights = v[parts] / v[parts].sum()
        np.testing.assert_allclose(weights, lengths[parts] / lengths[parts].sum())
        assert np.linalg.norm(v) == pytest.approx(2.0)  # rescaled to the parts' mean norm
    assert sizes == {2, 3}


def test_mixtures_repeat_with_the_seed_and_empty_requests_give_empty_arrays():
    texts, X, Y = basis_inputs()
    a = mix_examples(texts, X, Y, 50, seed=3)
    b = mix_examples(texts, X, Y, 50, seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    vectors, labels = mix_examples(texts, X, Y, 0)
    assert vectors.shape == (0, X.shape[1]) and labels.shape == (0, Y.shape[1])
    lone = mix_examples(texts[:1], X[:1], Y[:1], 5)  # one example: nothing to mix
    assert len(lone[0]) == 0


@pytest.mark.parametrize("bad", [1, 0, 2.5, True])
def test_bad_part_counts_are_refused_by_name(bad):
    texts, X, Y = basis_inputs()
    with pytest.raises(InputError, match="mix_max_parts"):
        mix_examples(texts, X, Y, 3, max_parts=bad)


def test_fit_core_trains_on_its_part_plus_mixtures_of_that_part_only(monkeypatch):
    """Mixtures are made inside ``_fit_core``, from the rows it is given and no others."""
    import topics.classifier.methods.embedded as embedded

    n = 60
    X = np.eye(n) * 2.0  # a row's support names the example it came from
    Y = (np.random.default_rng(0).random((n, 3)) < 0.4).astype(np.int8)
    texts = [f"第{i}条新闻" for i in range(n)]
    train = np.arange(40)
    seen = {}

    def spy(make, X_fit, Y_fit):
        seen["X"], seen["Y"] = X_fit, Y_fit
        return fit_columns(make, X_fit, Y_fit)

    fit_columns = embedded.fit_columns
    monkeypatch.setattr(embedded, "fit_columns", spy)
    model = EmbedLogRegClassifier(["a", "b", "c"], mixtures=1.0, seed=0)
    model._fit_core(Inputs([texts[i] for i in train], X[train]), Y[train])
    assert seen["X"].shape == (80, n)  # 40 real rows + round(1.0 * 40) mixtures
    np.testing.assert_array_equal(seen["X"][:40], X[train])
    assert not seen["X"][40:, 40:].any()  # no mixture draws on a row outside the part
    scored = model._score(Inputs(texts[40:], X[40:]))
    assert scored.shape == (20, 3)


def test_a_negative_mixture_share_is_refused():
    model = EmbedLogRegClassifier(["a"], mixtures=-1.0)
    with pytest.raises(InputError, match="mixtures"):
        model._fit_core(Inputs(["x", "y"], np.eye(2)), np.array([[0], [1]], dtype=np.int8))


def test_per_theme_linear_fits_run_with_one_blas_thread():
    """``fit_columns`` pins BLAS to one thread (speed on small fits, and the same coefficients
    whatever the machine's core count); the caller's thread count is restored afterwards."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from topics.classifier.methods.columns import fit_columns

    def blas_threads() -> set[int]:
        return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}

    seen: list[set[int]] = []

    class Recorder:
        def fit(self, X, y):
            seen.append(blas_threads())
            return self

    # start from two threads, so the test fails without the pin on any machine (also under
    # OMP_NUM_THREADS=1, where BLAS would run one thread anyway)
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == {2}
        Y = np.array([[0, 1], [1, 0], [1, 1]], dtype=np.int8)
        fit_columns(Recorder, np.eye(3), Y)
        assert seen == [{1}, {1}]
        assert blas_threads() == {2}

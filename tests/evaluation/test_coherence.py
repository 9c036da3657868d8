"""NPMI coherence: agreement with gensim's c_npmi, hand references, sanity cases, scale."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from topics.data.types import InputError
from topics.evaluation import npmi_coherence, presence_matrix, unit_tokens

EPS = 1e-12


def reference_npmi(texts: list[list[str]], topics: list[list[str]], window: int | None):
    """Plain-Python NPMI following gensim's c_npmi steps, with exact window word sets."""
    docs: list[set[str]] = []
    for text in texts:
        if window is None or len(text) < window:
            docs.append(set(text))
        else:
            docs.extend(set(text[i : i + window]) for i in range(len(text) - window + 1))
    n = len(docs)
    scores = []
    for words in topics:
        present = [w for w in words if any(w in d for d in docs)]
        pairs = []
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                p1 = sum(a in d for d in docs) / n
                p2 = sum(b in d for d in docs) / n
                p12 = sum(a in d and b in d for d in docs) / n
                pairs.append(math.log((p12 + EPS) / (p1 * p2)) / -math.log(p12 + EPS))
        scores.append(sum(pairs) / len(pairs) if pairs else float("nan"))
    return scores


@pytest.fixture(scope="module")
def small_corpus() -> tuple[list[list[str]], list[list[str]]]:
    """Texts with no word repeated inside a text (gensim's window counts are exact then)."""
    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(30)]
    texts = [
        list(rng.choice(vocab, size=int(rng.integers(0, 16)), replace=False)) for _ in range(60)
    ]
    topics = [vocab[:10], vocab[5:15], vocab[18:28] + ["absent_word"]]
    return texts, topics


@pytest.mark.parametrize("window", [None, 4, 10])
def test_matches_gensim_c_npmi(small_corpus, window):
    gensim_models = pytest.importorskip("gensim.models")
    from gensim.corpora import Dictionary

    texts, topics = small_corpus
    # a window longer than every text makes gensim's sliding windows whole documents
    size = window if window is not None else max(len(t) for t in texts) + 1
    model = gensim_models.CoherenceModel(
        topics=topics,
        texts=texts,
        dictionary=Dictionary(texts),
        coherence="c_npmi",
        window_size=size,
        topn=11,
    )
    expected = model.get_coherence_per_topic()
    result = npmi_coherence(texts, topics, top_n=11, window=window)
    np.testing.assert_allclose(result.per_topic, expected, atol=1e-6)
    assert result.mean == pytest.approx(model.get_coherence(), abs=1e-6)
    assert result.missing == [[], [], ["absent_word"]]
    assert result.n_missing_words == 1


@pytest.mark.parametrize("window", [None, 3])
def test_matches_hand_reference_with_repeated_words(window):
    texts = [["a", "b", "a", "c", "d"], ["b", "c", "e"], ["d", "e", "f", "a"], [], ["a", "a"]]
    topics = [["a", "c", "d"], ["b", "e", "f"]]
    result = npmi_coherence(texts, topics, window=window)
    np.testing.assert_allclose(result.per_topic, reference_npmi(texts, topics, window), atol=1e-12)


def test_window_rows_and_presence():
    texts = [["a", "b", "a", "c", "d"], ["b"], []]
    matrix = presence_matrix(texts, ["a", "c"], window=3).toarray()
    # 3 windows in text 0, one each for the short and the empty text
    assert matrix.tolist() == [[1, 0], [1, 1], [1, 1], [0, 0], [0, 0]]
    assert presence_matrix(texts, ["a", "c"]).toarray().tolist() == [[1, 1], [0, 0], [0, 0]]


def test_always_together_scores_one_and_independent_scores_zero():
    together = [["x", "y", "z"], ["x", "y", "z"], ["q"], ["r"]]
    assert npmi_coherence(together, [["x", "y", "z"]]).mean == pytest.approx(1.0, abs=1e-9)
    # P(x)=P(y)=1/2 and P(x, y)=1/4=P(x)P(y): no association
    independent = [["x", "y"], ["x"], ["y"], ["q"]]
    assert npmi_coherence(independent, [["x", "y"]]).mean == pytest.approx(0.0, abs=1e-9)
    apart = [["x"], ["y"], ["q"]]
    assert npmi_coherence(apart, [["x", "y"]]).mean < -0.9


def test_topic_with_too_few_known_words_is_nan_and_left_out():
    texts = [["x", "y"], ["x"], ["q"]]
    result = npmi_coherence(texts, [["x", "nope"], ["x", "y"]])
    assert math.isnan(result.per_topic[0])
    assert result.mean == pytest.approx(result.per_topic[1])
    assert result.missing[0] == ["nope"] and result.n_pairs == [0, 1]


def test_top_n_cuts_the_word_list():
    texts = [["a", "b"], ["a", "b"], ["c"], ["d"]]
    result = npmi_coherence(texts, [["a", "b", "c", "d"]], top_n=2)
    assert result.n_pairs == [1] and result.per_topic[0] == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(
    ("tokens", "topics", "kwargs"),
    [
        ("one string", [["a", "b"]], {}),
        (["ab", "cd"], [["a", "b"]], {}),
        ([["a"]], ["ab"], {}),
        ([["a"]], [["a", "b"]], {"top_n": 1}),
        ([["a"]], [["a", "b"]], {"window": 0}),
    ],
)
def test_bad_input_raises(tokens, topics, kwargs):
    with pytest.raises(InputError):
        npmi_coherence(tokens, topics, **kwargs)


@pytest.mark.slow
def test_fast_on_a_large_corpus():
    rng = np.random.default_rng(0)
    vocab = np.array([f"w{i}" for i in range(5000)])
    texts = [list(vocab[rng.zipf(1.3, size=40) % 5000]) for _ in range(43_000)]
    topics = [list(vocab[i * 10 : i * 10 + 10]) for i in range(50)]
    start = time.perf_counter()
    by_unit = npmi_coherence(texts, topics)
    by_window = npmi_coherence(texts, topics, window=10)
    assert time.perf_counter() - start < 30
    assert by_window.n_documents == 43_000 * 31
    assert by_unit.per_topic[7] == pytest.approx(
        reference_npmi(texts, [topics[7]], None)[0], abs=1e-9
    )


@pytest.mark.slow
def test_unit_tokens_uses_the_project_tokenizer_and_word_filter(project_tokenizer):
    texts = ["人工智能在金融风控中的应用，2024年增长30%。", "AI and GPT-4 in banks"]
    tokens = unit_tokens(texts, project_tokenizer)
    assert all(isinstance(t, list) for t in tokens)
    flat = [w for t in tokens for w in t]
    assert "人工智能" in flat and "gpt-4" in flat
    assert not any(w.isdigit() or w in {"，", "。", "%"} for w in flat)
    assert tokens == unit_tokens(texts, project_tokenizer.tokenize)

"""NPMI against an external reference corpus in sliding windows, checked against gensim."""

from __future__ import annotations

import numpy as np
import pytest

from topics.data.types import InputError
from topics.evaluation import npmi_coherence
from topics.evaluation.reference import reference_config, reference_tokens


def test_reference_config_takes_the_run_data_fields():
    data = {"format": "tsv", "columns": ["text", "label"], "text_field": "text", "path": "a.tsv"}
    assert reference_config({"reference": {"path": None}}, data) is None
    merged = reference_config({"reference": {"path": "ref.tsv", "limit": 5}}, data)
    assert merged["path"] == "ref.tsv" and merged["format"] == "tsv" and merged["limit"] == 5
    with pytest.raises(InputError, match="coherence.reference"):
        reference_config({"reference": {"path": "x"}}, {"format": "manifest"})


def test_reference_npmi_in_windows_of_10_matches_gensim(tmp_path):
    gensim_models = pytest.importorskip("gensim.models")
    from gensim.corpora import Dictionary

    rng = np.random.default_rng(5)
    vocab = [f"w{i}" for i in range(40)]
    # no word repeats within a text, so gensim's window counts are exact (see coherence.py)
    lines = [
        " ".join(rng.choice(vocab, size=int(rng.integers(3, 25)), replace=False)) for _ in range(80)
    ]
    path = tmp_path / "reference.tsv"
    path.write_text("".join(f"{line}\t0\n" for line in lines), encoding="utf-8")
    data = {
        "format": "tsv",
        "columns": ["text", "label"],
        "has_header": False,
        "text_field": "text",
        "label_field": "label",
        "id_field": None,
        "title_field": None,
        "date_field": None,
        "on_error": "raise",
    }
    cfg = reference_config({"reference": {"path": str(path)}}, data)
    tokens = reference_tokens(cfg, str.split)
    assert tokens == [line.split() for line in lines]
    topics = [vocab[:8], vocab[10:18], vocab[30:38] + ["never_seen"]]
    model = gensim_models.CoherenceModel(
        topics=topics,
        texts=tokens,
        dictionary=Dictionary(tokens),
        coherence="c_npmi",
        window_size=10,
        topn=9,
    )
    ours = npmi_coherence(tokens, topics, top_n=9, window=10)
    np.testing.assert_allclose(ours.per_topic, model.get_coherence_per_topic(), atol=1e-6)
    assert ours.missing[2] == ["never_seen"]


def test_pairs_that_never_cooccur_score_about_minus_one():
    tokens = [["a", "b"], ["c", "d"], ["a", "b"], ["c", "d"]]
    result = npmi_coherence(tokens, [["a", "c"], ["a", "b"]], window=10)
    # log(eps / (P1 P2)) / -log(eps) with P1 = P2 = 1/2: close to -1, not exactly
    eps = 1e-12
    assert result.per_topic[0] == pytest.approx(np.log(eps / 0.25) / -np.log(eps))
    assert result.per_topic[0] < -0.9
    assert result.per_topic[1] == pytest.approx(1.0, abs=1e-6)

"""Fit BERTopic on the real seed paragraphs embedded with m3e-small."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from tm_helpers import compose_topic_model

from topics.topic_model import (
    CorpusTooSmallError,
    TopicResult,
    build_topic_model,
    find_cjk_font,
    fit_topics,
    load_topic_model,
    save_topic_model,
    write_figures,
)

pytestmark = pytest.mark.slow

CJK = re.compile(r"[\u4e00-\u9fff]")
DOMAIN_TERMS = {"大模型", "人才", "算力"}
SEED_TOPICS = {
    "人才": ["人才", "招聘", "培训"],
    "算力": ["算力", "GPU", "算力云"],
    "安全": ["安全", "合规", "隐私"],
}
ZEROSHOT_TOPICS = {name: " ".join(words) for name, words in SEED_TOPICS.items()}


def _fit(cfg, seed_units, embeddings, tokenizer, **kwargs) -> tuple[object, TopicResult]:
    model = build_topic_model(cfg, tokenizer, **kwargs)
    result = fit_topics(
        model, seed_units["texts"], embeddings, seed_units["unit_ids"], seed_units["doc_ids"]
    )
    return model, result


def _looks_like_word(word: str) -> bool:
    if CJK.search(word):
        return True
    return len(word) >= 2 and re.search(r"[A-Za-z]", word) is not None


def _check_result(result: TopicResult, n_units: int) -> None:
    table, assignments = result.topics_table, result.assignments
    assert table["size"].sum() == n_units == len(assignments)
    assert result.n_topics == (table["topic"] != -1).sum() >= 2
    assert set(assignments["topic"]) == set(table["topic"])
    for words in table["words"]:
        assert words and all(_looks_like_word(w) for w in words), words
    mix = result.doc_topic_mix
    assert np.allclose(mix.sum(axis=1), 1.0)
    assert set(mix.index) == set(assignments["doc_id"])


@pytest.fixture(scope="module")
def default_fit(seed_units, unit_embeddings, tokenizer):
    return _fit(compose_topic_model(), seed_units, unit_embeddings, tokenizer)


def test_default_config_finds_chinese_topics(default_fit, seed_units):
    model, result = default_fit
    n = len(seed_units["texts"])
    _check_result(result, n)
    table = result.topics_table
    assert all(len(words) == 10 for words in table.loc[table.topic != -1, "words"])
    all_words = {w for words in table["words"] for w in words}
    assert all_words & DOMAIN_TERMS, all_words
    assert 0.0 <= result.outlier_ratio_after <= result.outlier_ratio_before < 0.5
    assert result.outlier_ratio_after == 0.0  # embeddings strategy with threshold 0
    row = table.iloc[0]
    assert row["label"] == "·".join(row["words"][:3])
    by_unit = result.assignments.set_index("unit_id")
    for _, row in table.iterrows():
        reps = row["representatives"]
        assert 1 <= len(reps) <= 3
        for rep in reps:
            assert by_unit.at[rep["unit_id"], "topic"] == row["topic"]
            assert by_unit.at[rep["unit_id"], "doc_id"] == rep["doc_id"]
    assert list(result.assignments.columns) == [
        "unit_id",
        "doc_id",
        "topic",
        "probability",
        "topic_before_outlier_reduction",
        "similarity",
    ]
    moved = result.assignments.topic_before_outlier_reduction == -1
    assert (result.assignments.loc[~moved, "probability"] > 0).all()
    # topic embeddings were rebuilt after outlier reduction: one per remaining topic
    assert model.topic_embeddings_.shape[0] == len(table)


def test_same_config_and_seed_reproduce_assignments(
    default_fit, seed_units, unit_embeddings, tokenizer
):
    _, first = default_fit
    _, second = _fit(compose_topic_model(), seed_units, unit_embeddings, tokenizer)
    pd.testing.assert_frame_equal(first.assignments, second.assignments)
    assert list(first.topics_table["words"]) == list(second.topics_table["words"])


@pytest.mark.parametrize(
    "override",
    [
        "topic_model/clustering=kmeans",
        "topic_model/clustering=agglomerative",
        "topic_model/reduction=pca",
        "topic_model.outliers.strategy=c-tf-idf",
        "topic_model.outliers.strategy=distributions",
        "topic_model.nr_topics=auto",
    ],
)
def test_reduction_and_clustering_variants_run(override, seed_units, unit_embeddings, tokenizer):
    _, result = _fit(compose_topic_model(override), seed_units, unit_embeddings, tokenizer)
    _check_result(result, len(seed_units["texts"]))
    if "clustering" in override:
        assert result.n_topics == 8 and result.outlier_ratio_before == 0.0
        assert result.assignments["probability"].isna().all()


def test_guided_mode_runs_and_leaves_embeddings_alone(
    seed_units, unit_embeddings, tokenizer, embedder
):
    before = unit_embeddings.copy()
    cfg = compose_topic_model("topic_model.guided=true")
    model, result = _fit(
        cfg, seed_units, unit_embeddings, tokenizer, embedder=embedder, seed_topics=SEED_TOPICS
    )
    _check_result(result, len(seed_units["texts"]))
    assert model.seed_topic_list == list(SEED_TOPICS.values())
    np.testing.assert_array_equal(unit_embeddings, before)


def test_zeroshot_mode_names_matched_topics(seed_units, unit_embeddings, tokenizer, embedder):
    cfg = compose_topic_model(
        "topic_model.zeroshot=true", "topic_model.zeroshot_min_similarity=0.75"
    )
    _, result = _fit(
        cfg,
        seed_units,
        unit_embeddings,
        tokenizer,
        embedder=embedder,
        zeroshot_topics=ZEROSHOT_TOPICS,
    )
    _check_result(result, len(seed_units["texts"]))
    named = set(result.topics_table["label"]) & set(ZEROSHOT_TOPICS)
    assert named, result.topics_table["label"].tolist()
    zs = result.assignments[
        result.assignments.topic.isin(
            result.topics_table.loc[result.topics_table.label.isin(named), "topic"]
        )
    ]
    assert (zs["probability"] > 0.5).all()


def test_keybert_and_mmr_representations(seed_units, unit_embeddings, tokenizer, embedder):
    cfg = compose_topic_model(
        "topic_model.representation=[keybert,mmr]",
        "topic_model.keybert.nr_candidate_words=30",  # fewer words to embed: keeps the test quick
        "topic_model.keybert.nr_repr_docs=3",
    )
    _, result = _fit(cfg, seed_units, unit_embeddings, tokenizer, embedder=embedder)
    _check_result(result, len(seed_units["texts"]))


def test_small_corpus_raises_or_clips(seed_units, unit_embeddings, tokenizer):
    small = {key: values[:12] for key, values in seed_units.items()}
    vectors = unit_embeddings[:12]
    with pytest.raises(CorpusTooSmallError, match=r"12 units.*min_units_for_umap=20"):
        _fit(compose_topic_model(), small, vectors, tokenizer)
    cfg = compose_topic_model("topic_model.min_units_for_umap=10", "topic_model.min_cluster_size=8")
    model, result = _fit(cfg, small, vectors, tokenizer)
    assert (
        model.umap_model.n_neighbors == 11 and model.umap_model.n_components == 10
    )  # at most n_units - 2
    assert model.hdbscan_model.min_cluster_size == 6
    assert result.topics_table["size"].sum() == 12


def test_save_load_round_trip_is_safetensors(
    default_fit, tmp_path, unit_embeddings, seed_units, tokenizer, embedder
):
    model, result = default_fit
    folder = save_topic_model(model, tmp_path / "model", embedding_model_name="m3e-small")
    names = sorted(p.name for p in folder.iterdir())
    assert "topic_embeddings.safetensors" in names and "ctfidf.safetensors" in names
    assert not [n for n in names if n.endswith((".pickle", ".pkl", ".bin", ".joblib"))]
    loaded = load_topic_model(folder, embedder=embedder, tokenizer=tokenizer)
    for topic, words in zip(
        result.topics_table["topic"], result.topics_table["words"], strict=True
    ):
        assert [w for w, _ in loaded.get_topic(topic)][: len(words)] == words
    assert loaded.topic_sizes_ == model.topic_sizes_
    np.testing.assert_allclose(loaded.topic_embeddings_, model.topic_embeddings_, rtol=1e-6)
    predicted, _ = loaded.transform(seed_units["texts"], unit_embeddings)
    agreement = np.mean(np.asarray(predicted) == result.assignments["topic"].to_numpy())
    assert agreement > 0.8
    # the re-attached tokenizer vectorizes new Chinese text
    assert loaded.vectorizer_model.transform(["大模型人才招聘"]).sum() > 0


def _render(text: str, family: str) -> np.ndarray:
    fig = Figure(figsize=(2, 0.6), dpi=60)
    canvas = FigureCanvasAgg(fig)
    fig.text(0.05, 0.3, text, family=family, fontsize=16)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def test_figures_are_written_with_cjk_glyphs(default_fit, unit_embeddings, seed_units, tmp_path):
    model, result = default_fit
    family = find_cjk_font()
    assert family, "install the Debian package fonts-wqy-microhei"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = write_figures(model, result, unit_embeddings, tmp_path, texts=seed_units["texts"])
        with_cjk = _render("大模型人才", family)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DejaVu Sans lacks these glyphs: boxes, on purpose
        boxes = _render("大模型人才", "DejaVu Sans")
    assert not np.array_equal(with_cjk, boxes)
    kinds = {(p.stem, p.suffix) for p in paths}
    for stem in ("topics_barchart", "topics_map", "topics_heatmap", "topics_hierarchy"):
        assert {(stem, ".html"), (stem, ".png")} <= kinds
    for path in paths:
        size = path.stat().st_size
        assert size > (5_000 if path.suffix == ".html" else 10_000), (path, size)
    # the HTML files share one local copy of plotly.js (offline, no CDN)
    assert (tmp_path / "plotly.min.js").stat().st_size > 1_000_000
    page = (tmp_path / "topics_map.html").read_text(encoding="utf-8")
    assert re.search(r'<script[^>]*\bsrc="plotly.min.js"', page)
    # hover texts carry the Chinese units (plotly writes them as JSON \\u escapes)
    assert CJK.search(page) or re.search(r"\\u[4-9][0-9a-f]{3}", page)
    assert not re.search(r'src="https?://', page)


def test_figures_cope_with_one_topic(seed_units, unit_embeddings, tokenizer, tmp_path, caplog):
    cfg = compose_topic_model(
        "topic_model/clustering=kmeans", "topic_model.clustering.n_clusters=1"
    )
    model, result = _fit(cfg, seed_units, unit_embeddings, tokenizer)
    assert result.n_topics == 1
    paths = write_figures(model, result, unit_embeddings, tmp_path)
    assert {p.name for p in paths} == {
        "topics_barchart.html",
        "topics_barchart.png",
        "topics_map.html",
        "topics_map.png",
    }
    assert "heatmap needs 2" in caplog.text and "hierarchy needs 3" in caplog.text

"""Config composition and model building (no fitting, fast)."""

from __future__ import annotations

import numpy as np
import pytest
from hdbscan import HDBSCAN
from omegaconf import OmegaConf
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.decomposition import PCA
from tm_helpers import SEED, compose_topic_model, make_tokenizer
from umap import UMAP

from topics.data.types import InputError
from topics.topic_model import (
    CallableEmbedder,
    TokenFilter,
    TopicModelConfigError,
    UnitTokenizer,
    as_backend,
    build_topic_model,
    find_cjk_font,
    fit_options,
    is_word,
    load_topic_model,
)
from topics.topic_model.builder import KeyBERTFromModel


@pytest.fixture(scope="module")
def tok():
    return make_tokenizer()


def test_default_config_builds_umap_hdbscan_with_project_vectorizer(tok):
    cfg = compose_topic_model()
    model = build_topic_model(cfg, tok)
    assert isinstance(model.umap_model, UMAP)
    assert model.umap_model.random_state == SEED and model.umap_model.n_jobs == 1
    assert (model.umap_model.n_neighbors, model.umap_model.n_components) == (15, 10)
    assert model.umap_model.metric == "cosine"
    assert model.umap_model.force_approximation_algorithm is False
    assert isinstance(model.hdbscan_model, HDBSCAN)
    assert model.hdbscan_model.min_cluster_size == 5 and model.hdbscan_model.prediction_data
    vec = model.vectorizer_model
    assert vec.lowercase is False and vec.token_pattern is None
    assert isinstance(vec.tokenizer, UnitTokenizer) and vec.tokenizer.tokenizer is tok
    assert model.language is None  # "english" would strip Chinese before c-TF-IDF
    assert model.ctfidf_model.reduce_frequent_words is True
    assert model.representation_model is None and model.top_n_words == 10
    opts = fit_options(model)
    assert opts.seed == SEED and opts.reduce_outliers and opts.outlier_strategy == "embeddings"
    # kept next to the model, not set on the BERTopic object
    assert not [v for v in vars(model).values() if isinstance(v, type(opts))]
    # the default vectorizer really keeps Chinese words
    words = vec.tokenizer("大模型正在改变银行的人才招聘,2024年算力需求增长。")
    assert "大模型" in words and "2024" not in words and "。" not in words


def test_umap_small_data_quirk_and_the_switch_that_avoids_it(tok):
    """umap-learn finds neighbours exactly (all pairwise distances) below 4,096 units.

    If an upgrade changes this, `force_approximation_algorithm` in
    configs/topic_model/reduction/umap.yaml needs a new comment (and maybe a new default).
    """
    x = np.random.default_rng(0).standard_normal((300, 8))
    exact = UMAP(n_neighbors=5, n_components=2, n_epochs=5, random_state=0, n_jobs=1).fit(x)
    assert exact._small_data is True, "umap-learn no longer computes exact neighbours here"
    approx = UMAP(
        n_neighbors=5,
        n_components=2,
        n_epochs=5,
        random_state=0,
        n_jobs=1,
        force_approximation_algorithm=True,
    ).fit(x)
    assert approx._small_data is False
    cfg = compose_topic_model("topic_model.reduction.force_approximation_algorithm=true")
    assert build_topic_model(cfg, tok).umap_model.force_approximation_algorithm is True


def test_min_cluster_size_sweep_key_feeds_hdbscan(tok):
    for value in (3, 7):
        cfg = compose_topic_model(f"topic_model.min_cluster_size={value}")
        assert cfg.clustering.min_cluster_size == value
        assert build_topic_model(cfg, tok).hdbscan_model.min_cluster_size == value


@pytest.mark.parametrize(
    ("override", "kind"),
    [
        ("topic_model/clustering=kmeans", KMeans),
        ("topic_model/clustering=agglomerative", AgglomerativeClustering),
        ("topic_model/reduction=pca", PCA),
    ],
)
def test_group_overrides_switch_sub_models(tok, override, kind):
    model = build_topic_model(compose_topic_model(override), tok)
    built = model.umap_model if kind is PCA else model.hdbscan_model
    assert isinstance(built, kind)
    if kind is not AgglomerativeClustering:
        assert built.random_state == SEED


def test_plain_dict_config_is_accepted(tok):
    node = OmegaConf.to_container(compose_topic_model(), resolve=True)
    node["representation"] = "ctfidf"
    model = build_topic_model(node, tok)
    assert model.hdbscan_model.min_cluster_size == 5


BAD_CONFIGS = [
    ({"clustering": {"name": "dbscan"}}, "clustering.name"),
    ({"reduction": {"name": "tsne"}}, "reduction.name"),
    (
        {"clustering": {"name": "agglomerative", "n_clusters": 4, "distance_threshold": 1.0}},
        "distance_threshold",
    ),
    ({"nr_topics": 1}, "nr_topics"),
    ({"representation": ["keybert"]}, "embedder"),
    ({"representation": ["lda"]}, "representation"),
    ({"guided": True}, "seed_topics"),
    ({"zeroshot": True}, "zeroshot_topics"),
    ({"outliers": {"strategy": "probabilities"}}, "outliers.strategy"),
    ({"clustering": {"min_cluster_size": 1}}, "min_cluster_size"),
]


@pytest.mark.parametrize(("change", "key"), BAD_CONFIGS)
def test_bad_config_names_the_key(tok, change, key):
    # a plain (untyped) copy: the schema would refuse some of these changes at composition
    node = OmegaConf.merge(OmegaConf.to_container(compose_topic_model(), resolve=True), change)
    with pytest.raises(TopicModelConfigError, match=key.replace(".", r"\.")):
        build_topic_model(node, tok)


def test_representation_models_need_and_get_the_embedder(tok):
    def embed(texts):
        return np.ones((len(texts), 4), dtype=np.float32)

    cfg = compose_topic_model("topic_model.representation=[keybert,mmr]")
    model = build_topic_model(cfg, tok, embedder=embed)
    first, second = model.representation_model
    assert isinstance(first, KeyBERTFromModel) and second.diversity == 0.3
    assert isinstance(model.embedding_model, CallableEmbedder)
    assert model.embedding_model.embed(["a", "b"]).shape == (2, 4)


def test_as_backend_wraps_objects_and_callables():
    class Embedder:
        def embed(self, texts):
            return np.zeros((len(texts), 3))

    backend = as_backend(Embedder())
    assert isinstance(backend, CallableEmbedder)
    assert backend.embed(["x"]).dtype == np.float32
    assert as_backend(backend) is backend and as_backend(None) is None
    with pytest.raises(TypeError, match="embed"):
        as_backend(42)
    bad = as_backend(lambda texts: np.zeros((1, 3)))
    with pytest.raises(ValueError, match="one row per text"):
        bad.embed(["a", "b"])


@pytest.mark.parametrize(
    ("token", "ok"),
    [
        ("大模型", True),
        ("AI", True),
        ("gpt-4", True),
        ("5G", True),
        ("a", False),
        ("2024", False),
        ("。", False),
        ("%", False),
        (" ", False),
        ("", False),
        ("--", False),
    ],
)
def test_is_word(token, ok):
    assert is_word(token) is ok


def test_load_refuses_files_and_non_model_dirs(tmp_path):
    pickle_file = tmp_path / "model.pickle"
    pickle_file.write_bytes(b"not really")
    with pytest.raises(InputError, match="pickled models are refused"):
        load_topic_model(pickle_file)
    with pytest.raises(InputError, match="topics.json"):
        load_topic_model(tmp_path)


def test_a_cjk_font_is_installed_for_png_figures():
    assert find_cjk_font() is not None, (
        "no CJK font for matplotlib: install the Debian package fonts-wqy-microhei"
    )


def test_unit_tokenizer_cuts_each_unit_once_inside_joined_topic_texts(tok):
    import pickle

    from topics.topic_model.bertopic_compat import UNIT_END

    calls: list[str] = []

    def counting(text: str) -> list[str]:
        calls.append(text)
        return tok(text)

    units = ["工商银行发布大模型应用。", "银行招聘算法人才 2024"]
    unit_tok = UnitTokenizer(counting)
    unit_tok.remember(units[:1], [["工商银行", "大模型"]])
    # BERTopic joins the units of a topic with spaces
    joined = " ".join(u + UNIT_END for u in units)
    tokens = unit_tok(joined)
    assert tokens[:2] == ["工商银行", "大模型"]  # the remembered tokens, not re-cut
    assert tokens[2:] == TokenFilter(tok)(units[1]) and "2024" not in tokens
    assert calls == [units[1]]
    assert unit_tok(joined) == tokens and calls == [units[1]]  # memo: cut once
    assert unit_tok(units[1]) == tokens[2:]  # a plain unit (e.g. after loading) works too
    shipped = UnitTokenizer(tok)
    shipped.remember(units, [["a"], ["b"]])
    assert pickle.loads(pickle.dumps(shipped)).memo == {} and len(shipped.memo) == 2

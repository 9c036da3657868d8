"""Single-label training and evaluation on THUCNews headlines (skipped without the data)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from omegaconf import OmegaConf

from topics.classifier import compare_single_label, load_labeled, stratified_subset
from topics.config_schema import load_option

#: Chinese names of the ten THUCNews classes, for zero-shot on class names.
ZH_NAMES = {
    "finance": "财经",
    "realty": "房产",
    "stocks": "股票",
    "education": "教育",
    "science": "科技",
    "society": "社会",
    "politics": "时政",
    "sports": "体育",
    "game": "游戏",
    "entertainment": "娱乐",
}


@pytest.fixture(scope="module")
def thucnews_cfg(thucnews_dir):
    root = OmegaConf.create(
        {
            "paths": {"shared_data_dir": str(thucnews_dir)},
            "data": load_option("data", "thucnews"),
        }
    )
    return OmegaConf.to_container(root, resolve=True)["data"]


def test_stratified_subset_is_seeded_and_balanced():
    labels = ["a"] * 600 + ["b"] * 300 + ["c"] * 100
    idx = stratified_subset(labels, 100, seed=3)
    assert np.array_equal(idx, stratified_subset(labels, 100, seed=3))
    assert Counter(labels[i] for i in idx) == {"a": 60, "b": 30, "c": 10}
    assert len(stratified_subset(labels, None, seed=3)) == 1000


def test_tfidf_on_thucnews_subset(thucnews_cfg, tokenizer):
    texts, labels = load_labeled(thucnews_cfg, "eval")
    assert len(texts) == len(labels) > 1000 and set(labels) == set(ZH_NAMES)
    cfg = {"method": "tfidf_linear", "grid": {"C": [1.0, 10.0]}, "inner_splits": 3, "seed": 0}
    table = compare_single_label(
        [cfg], thucnews_cfg, tokenizer=tokenizer, n_train=2000, n_dev=1000, seed=0
    )
    row = table.loc["tfidf_linear"]
    assert row["thucnews/n_train"] == 2000 and row["thucnews/n_dev"] == 1000
    assert row["thucnews/accuracy"] > 0.6
    assert 0.5 < row["thucnews/macro_f1"] <= 1.0


@pytest.mark.slow
def test_embedding_methods_on_small_thucnews_subset(thucnews_cfg, embedder):
    cfgs = [
        {"method": "embed_logreg", "seed": 0, "inner_splits": 3},
        {"method": "embed_knn", "k": 10, "seed": 0, "inner_splits": 3},
        {"method": "zeroshot", "calibration": "softmax", "seed": 0, "inner_splits": 3},
    ]
    table = compare_single_label(
        cfgs, thucnews_cfg, embedder=embedder, n_train=300, n_dev=150, seed=0, label_texts=ZH_NAMES
    )
    assert list(table.index) == ["embed_logreg", "embed_knn", "zeroshot"]
    assert (table["thucnews/accuracy"] > 0.3).all()  # chance is 0.1

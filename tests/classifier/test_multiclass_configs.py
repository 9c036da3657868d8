"""The single-label classifier configs compose, build, and resolve blend members by name."""

from __future__ import annotations

import pytest

from jobcfg import compose_job
from topics.classifier import build_classifier
from topics.classifier.multiclass import (
    BlendClassifier,
    FinetuneClassifier,
    LexicalClassifier,
    build_single_label,
)
from topics.classifier.stage import _method_cfg
from topics.data.types import InputError

NEW = {
    "lexical_svm": LexicalClassifier,
    "lexical_logreg": LexicalClassifier,
    "lexical_sgd": LexicalClassifier,
    "lexical_nbsvm": LexicalClassifier,
    "finetune": FinetuneClassifier,
    "finetune_b": FinetuneClassifier,
    "finetune_refit": FinetuneClassifier,
    "blend": BlendClassifier,
    "blend_2ft": BlendClassifier,
    "blend_lexical": BlendClassifier,
    "blend_nbsvm": BlendClassifier,
    "blend_nbsvm_ftrefit": BlendClassifier,
}


@pytest.mark.parametrize("name", sorted(NEW))
def test_single_label_configs_compose_and_build(tmp_path, name):
    cfg, _ = compose_job(tmp_path, ["data=thucnews", f"classifier={name}"])
    clf = build_single_label(_method_cfg(cfg), root=cfg)
    assert isinstance(clf, NEW[name]) and clf.seed == 42
    if name.startswith("lexical"):
        assert clf.tune_metric == "accuracy" and clf.tokenizer_profile == "classify"
        assert clf.word_ngrams == [1, 2] and clf.char_ngrams == [1, 3]


def test_blend_members_resolve_against_the_run_config(tmp_path):
    cfg, _ = compose_job(tmp_path, ["data=thucnews", "classifier=blend", "seed=7"])
    blend = build_single_label(_method_cfg(cfg), root=cfg)
    assert [m["name"] for m in blend.members] == ["lexical_svm", "finetune"]
    assert all(m["seed"] == 7 for m in blend.members)
    finetune = blend.members[1]
    assert finetune["checkpoint_dir"] == str(tmp_path / ".cache" / "finetune")
    assert finetune["val_size"] == blend.val_size  # the same split as a standalone finetune run
    assert isinstance(blend.builder(blend.members[0]), LexicalClassifier)
    cfg, _ = compose_job(
        tmp_path,
        ["data=thucnews", "classifier=blend", "classifier.members=[lexical_sgd,lexical_logreg]"],
    )
    blend = build_single_label(_method_cfg(cfg), root=cfg)
    assert [m["model"] for m in blend.members] == ["sgd", "logreg"]


def test_second_encoder_differs_from_the_first_only_in_its_seed(tmp_path):
    cfg, _ = compose_job(tmp_path, ["data=thucnews", "classifier=blend_2ft", "seed=7"])
    blend = build_single_label(_method_cfg(cfg), root=cfg)
    names = [m["name"] for m in blend.members]
    assert names == ["lexical_svm", "finetune", "finetune_b"]
    first, second = blend.members[1], blend.members[2]
    assert (first["seed_offset"], second["seed_offset"]) == (0, 1)
    differ = {k for k in first if first[k] != second[k]}
    assert differ == {"name", "seed_offset"}  # same split (seed 7), same recipe
    built = blend.builder(second)
    assert isinstance(built, FinetuneClassifier) and built.seed_offset == 1


def test_refitted_encoder_differs_from_the_first_only_in_its_refit(tmp_path):
    cfg, _ = compose_job(tmp_path, ["data=thucnews", "classifier=blend_nbsvm_ftrefit"])
    blend = build_single_label(_method_cfg(cfg), root=cfg)
    cfg, _ = compose_job(tmp_path, ["data=thucnews", "classifier=blend_nbsvm"])
    plain = build_single_label(_method_cfg(cfg), root=cfg)
    assert [m["name"] for m in blend.members] == ["lexical_svm", "lexical_nbsvm", "finetune_refit"]
    first, refit = plain.members[2], blend.members[2]
    assert {k for k in first if first[k] != refit[k]} == {"name", "refit"}
    assert (first["refit"], refit["refit"]) == (False, True)
    assert blend.builder(refit).refit and not blend.builder(first).refit


def test_bad_blend_members_and_theme_use_fail_clearly(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        build_single_label({"method": "blend", "members": ["nope", "lexical_svm"]})
    with pytest.raises(InputError, match="blends themselves"):
        build_single_label({"method": "blend", "members": ["blend", "lexical_svm"]})
    with pytest.raises(InputError, match="unknown key"):
        build_single_label({"method": "lexical", "ngram": 3})
    cfg, _ = compose_job(tmp_path, ["classifier=lexical_svm"])
    with pytest.raises(InputError, match="single-label classifier"):
        build_classifier(_method_cfg(cfg), ["a", "b"])


def test_thucnews_label_texts_are_chinese_class_names(tmp_path):
    cfg, _ = compose_job(tmp_path, ["data=thucnews"])
    texts = dict(cfg.data.label_texts)
    assert set(texts) == {
        "finance",
        "realty",
        "stocks",
        "education",
        "science",
        "society",
        "politics",
        "sports",
        "game",
        "entertainment",
    }
    assert texts["sports"] == "体育" and texts["game"] == "游戏"


def test_embedding_device_auto_is_not_part_of_the_cache_identity(tmp_path):
    import torch

    from topics.embedding import SentenceTransformerEmbedder

    cfg, _ = compose_job(tmp_path)
    assert cfg.embedding.device == "auto"
    auto = SentenceTransformerEmbedder("m3e-small", device="auto")
    assert auto.torch_device == ("cuda" if torch.cuda.is_available() else "cpu")
    assert auto.identity() == SentenceTransformerEmbedder("m3e-small", device="cpu").identity()


def test_embedding_on_gpu(tmp_path):
    import numpy as np
    import torch

    from topics.embedding import SentenceTransformerEmbedder

    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine: the GPU embedding path is not exercised")
    texts = ["央行下调存款准备金率", "国足客场战平对手"]
    gpu = SentenceTransformerEmbedder("m3e-small", device="auto").embed(texts)
    cpu = SentenceTransformerEmbedder("m3e-small", device="cpu").embed(texts)
    assert np.allclose(gpu, cpu, atol=1e-3)

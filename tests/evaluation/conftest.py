"""Shared fixtures: the seed corpus units, their m3e-small embeddings, the composed configs."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def root_cfg():
    """The root config as ``topics-run`` composes it (outside a job: no reduction cache)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from topics.paths import config_dir

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            # paths.* need a Hydra job to resolve; the reduction cache has tests of its own
            return compose(config_name="config", overrides=["topic_model.cache_dir=null"])
    finally:
        GlobalHydra.instance().clear()


@pytest.fixture(scope="session")
def seed_units(seed_documents):
    """The 113 paragraph units of the seed corpus."""
    from topics.preprocess.pipeline import preprocess_documents

    return preprocess_documents(seed_documents, {"unit": "paragraph"}).units


@pytest.fixture(scope="session")
def seed_embeddings(seed_units):
    """m3e-small embeddings of the seed units (computed once)."""
    from topics.embedding import build_embedder

    embedder = build_embedder(
        {
            "name": "m3e_small",
            "backend": "sentence_transformers",
            "model": "m3e-small",
            "cache": False,
        },
        tokenizer=None,
    )
    return embedder.embed(seed_units.norm.tolist())


@pytest.fixture(scope="session")
def project_tokenizer(root_cfg):
    from topics.tokenize import build_tokenizer

    return build_tokenizer(root_cfg.tokenizer)

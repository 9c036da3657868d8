"""Shared fixtures of the classifier tests: seed units, gold labels, tokenizer, real m3e-small."""

from __future__ import annotations

import numpy as np
import pytest

from topics.preprocess.pipeline import preprocess_documents
from topics.themes import label_matrix, load_gold, load_taxonomy, theme_ids


@pytest.fixture(scope="session")
def units(seed_documents):
    return preprocess_documents(seed_documents, {"unit": "paragraph"}).units


@pytest.fixture(scope="session")
def themes():
    return load_taxonomy()


@pytest.fixture(scope="session")
def ids(themes):
    return theme_ids(themes)


@pytest.fixture(scope="session")
def gold_y(units, ids):
    return label_matrix(load_gold(), units, ids)


@pytest.fixture(scope="session")
def tokenizer():
    from topics.tokenize import build_tokenizer

    return build_tokenizer()


@pytest.fixture(scope="session")
def embedder(tmp_path_factory):
    """The real packaged m3e-small, behind a disk cache in a temporary folder."""
    from topics.embedding import CachedEmbedder, EmbeddingCache, SentenceTransformerEmbedder

    model = SentenceTransformerEmbedder("m3e-small", show_progress=False)
    return CachedEmbedder(model, EmbeddingCache(tmp_path_factory.mktemp("emb-cache")))


@pytest.fixture(scope="session")
def seed_embeddings(embedder, units) -> np.ndarray:
    return embedder.embed(units["norm"].tolist())

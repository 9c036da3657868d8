"""Fixtures for the topic-model tests: seed paragraphs, m3e-small embeddings, tokenizer."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest
from tm_helpers import MIN_CHARS, SEEDS, m3e_folder, make_tokenizer

from topics.embedding.sentence import SentenceTransformerEmbedder


@pytest.fixture(scope="module")
def seed_units() -> dict[str, list[str]]:
    """Seed paragraphs (lines >= 25 chars, Traditional converted to Simplified)."""
    import opencc

    convert = opencc.OpenCC("t2s").convert
    texts, units, docs = [], [], []
    for path in sorted(SEEDS.glob("*.txt")):
        lines = re.split(r"\n+", path.read_text(encoding="utf-8"))
        for line in (line.strip() for line in lines):
            if len(line) >= MIN_CHARS:
                units.append(f"{path.stem}#{len(units)}")
                docs.append(path.stem)
                texts.append(convert(line))
    return {"texts": texts, "unit_ids": units, "doc_ids": docs}


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    """m3e-small on CPU, loaded from the installed package folder; deterministic vectors, so that
    the fits below give the same topics on any machine (docs/reproducibility.md)."""
    return SentenceTransformerEmbedder(model=str(m3e_folder()), deterministic=True)


@pytest.fixture(scope="module")
def unit_embeddings(seed_units, embedder) -> np.ndarray:
    """m3e-small embeddings of the seed units (L2-normalised, rounded, float32)."""
    return embedder.embed(seed_units["texts"])


@pytest.fixture(scope="module")
def tokenizer() -> Callable[[str], list[str]]:
    """The project tokenizer."""
    return make_tokenizer()

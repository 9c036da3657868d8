"""Fixtures for the topic-model tests: seed paragraphs, m3e-small embeddings, tokenizer."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest
from tm_helpers import MIN_CHARS, SEEDS, SentenceEmbedder, m3e_folder, make_tokenizer


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
def embedder() -> SentenceEmbedder:
    """m3e-small on CPU, loaded from the installed package folder."""
    from sentence_transformers import SentenceTransformer

    return SentenceEmbedder(SentenceTransformer(str(m3e_folder()), device="cpu"))


@pytest.fixture(scope="module")
def unit_embeddings(seed_units, embedder) -> np.ndarray:
    """m3e-small embeddings of the seed units (L2-normalised float32)."""
    return embedder.embed(seed_units["texts"])


@pytest.fixture(scope="module")
def tokenizer() -> Callable[[str], list[str]]:
    """The project tokenizer."""
    return make_tokenizer()

"""Shared fixtures for the embedding tests: offline hub, seed units, a real jieba tokenizer."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import jieba  # noqa: E402
import pytest  # noqa: E402

from topics.paths import seeds_dir  # noqa: E402


def jieba_tokens(text: str) -> list[str]:
    """Cut ``text`` with jieba and drop whitespace-only and one-character punctuation tokens."""
    return [w for w in jieba.lcut(text) if w.strip() and (len(w) > 1 or w.isalnum())]


def load_seed_units(min_chars: int = 20) -> list[str]:
    """Return the seed corpus paragraphs: split on blank lines, keep lines over ``min_chars``."""
    units: list[str] = []
    for path in sorted(seeds_dir().glob("*.txt")):
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            units.extend(
                line.strip() for line in block.splitlines() if len(line.strip()) > min_chars
            )
    return units


@pytest.fixture(scope="session")
def seed_units() -> list[str]:
    units = load_seed_units()
    assert len(units) > 50, "the seed corpus should give dozens of paragraphs"
    return units


@pytest.fixture(scope="session")
def tokenizer():
    return jieba_tokens

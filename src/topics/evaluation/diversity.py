"""Topic diversity (Dieng, Ruiz & Blei 2020, "Topic Modeling in Embedding Spaces")."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from topics.data.types import InputError


def topic_diversity(topics: Sequence[Sequence[str]], top_n: int = 10) -> float:
    """Share of unique words among all topics' top ``top_n`` words.

    1.0 when no word is shared between topics; ``1 / n_topics`` when every topic has the same
    words. The denominator counts the words actually listed (a topic may have fewer than
    ``top_n``).

    Args:
        topics: The word list of each topic, best word first.
        top_n: Words per topic to consider.

    Returns:
        The diversity in ``(0, 1]``, or NaN when there are no words at all.

    Raises:
        InputError: ``top_n < 1`` or a topic is given as a single string.
    """
    if top_n < 1:
        raise InputError(f"topic_diversity: top_n must be >= 1, got {top_n}")
    tops = []
    for i, words in enumerate(topics):
        if isinstance(words, str):
            raise InputError(f"topic_diversity: topics[{i}] is a string; pass a list of words")
        tops.append(list(words)[:top_n])
    total = sum(len(t) for t in tops)
    if total == 0:
        return float("nan")
    return len(set(itertools.chain.from_iterable(tops))) / total

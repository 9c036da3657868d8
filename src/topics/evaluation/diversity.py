"""Topic diversity (Dieng, Ruiz & Blei 2020, "Topic Modeling in Embedding Spaces")."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from topics.data.types import InputError


def top_words(
    topics: Sequence[Sequence[str]], top_n: int, who: str, minimum: int = 1
) -> list[list[str]]:
    """Validate topics given as word lists and cut each to its first ``top_n`` words.

    Raises:
        InputError: ``top_n < minimum`` or a topic is given as a single string.
    """
    if top_n < minimum:
        raise InputError(f"{who}: top_n must be >= {minimum}, got {top_n}")
    out = []
    for i, words in enumerate(topics):
        if isinstance(words, str):
            raise InputError(f"{who}: topics[{i}] is a string; pass a list of words per topic")
        out.append([str(w) for w in list(words)[:top_n]])
    return out


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
    tops = top_words(topics, top_n, who="topic_diversity", minimum=1)
    total = sum(len(t) for t in tops)
    if total == 0:
        return float("nan")
    return len(set(itertools.chain.from_iterable(tops))) / total

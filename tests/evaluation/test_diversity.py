"""Topic diversity on hand cases."""

from __future__ import annotations

import math

import pytest

from topics.data.types import InputError
from topics.evaluation import topic_diversity


def test_all_distinct_is_one():
    topics = [[f"t{t}w{i}" for i in range(10)] for t in range(4)]
    assert topic_diversity(topics) == 1.0


def test_all_same_is_one_over_the_topic_count():
    words = [f"w{i}" for i in range(10)]
    assert topic_diversity([words, words, words, words]) == pytest.approx(1 / 4)


def test_partial_overlap_and_top_n():
    topics = [["a", "b", "c", "x"], ["a", "d", "e", "y"]]
    # top 3: a b c | a d e -> 5 unique of 6
    assert topic_diversity(topics, top_n=3) == pytest.approx(5 / 6)
    # top 4: 7 unique of 8
    assert topic_diversity(topics, top_n=4) == pytest.approx(7 / 8)


def test_short_topics_count_their_own_words():
    assert topic_diversity([["a", "b"], ["b"]], top_n=10) == pytest.approx(2 / 3)


def test_no_words_is_nan():
    assert math.isnan(topic_diversity([]))
    assert math.isnan(topic_diversity([[], []]))


@pytest.mark.parametrize(("topics", "top_n"), [(["abc"], 10), ([["a"]], 0)])
def test_bad_input_raises(topics, top_n):
    with pytest.raises(InputError):
        topic_diversity(topics, top_n=top_n)

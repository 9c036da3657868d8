"""``objective_metric``: the value a Hydra sweeper optimizes."""

from __future__ import annotations

import pytest

from topics.data.types import InputError
from topics.runner import objective_value

METRICS = {"topics/nmi": 0.5, "topics/n_topics": 7.0}


def test_unset_objective_is_none_even_with_a_metric_named_none():
    assert objective_value({**METRICS, "None": 1.0}, None) is None


def test_named_objective_is_its_metric():
    assert objective_value(METRICS, "topics/nmi") == 0.5


def test_unknown_objective_names_the_key_and_the_metrics():
    with pytest.raises(
        InputError, match=r"objective_metric='topics/nmj'.*'topics/n_topics', 'topics/nmi'"
    ):
        objective_value(METRICS, "topics/nmj")

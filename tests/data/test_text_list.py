"""The one check of text batches shared by the stages (embedding, topics, classifiers)."""

from __future__ import annotations

import pytest

from topics.data.types import InputError, text_list


def test_a_sequence_of_strings_comes_back_as_a_list():
    assert text_list(("银行", "bank"), "embed()") == ["银行", "bank"]
    assert text_list([], "embed()") == []


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ("一段文字", r"^embed\(\) got a single string; .*\[text\]"),
        (b"bytes", r"single string"),
        (["ok", None], r"^embed\(\) #1 is NoneType, not str; pass decoded strings only$"),
    ],
)
def test_bad_batches_fail_with_where_and_the_fix(texts, message):
    with pytest.raises(InputError, match=message):
        text_list(texts, "embed()")


def test_every_stage_uses_it():
    from topics.classifier.finetune import EncoderClassifier
    from topics.classifier.multiclass import FinetuneClassifier
    from topics.embedding.base import check_texts
    from topics.topic_model.fit import _check_inputs

    with pytest.raises(InputError, match="^embed"):
        check_texts("x")
    with pytest.raises(InputError, match="^fit_topics"):
        _check_inputs("x", [[0.0]], None, None)
    with pytest.raises(InputError, match="^finetune texts #0"):
        EncoderClassifier().fit([1], [0])
    with pytest.raises(InputError, match="^classifier texts got a single string"):
        FinetuneClassifier().fit("x", ["a"])

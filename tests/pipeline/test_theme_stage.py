"""The theme stage does what ``theme_stage`` says: evaluate, tag only, or which protocols."""

from __future__ import annotations

import pandas as pd
import pytest

from topics.data.types import InputError
from topics.runner import run

pytestmark = pytest.mark.slow  # whole jobs (about 10 s each)

#: the keyword rules need no embeddings: the theme stage runs on the units alone
CHEAP = [
    "stages=[data,preprocess,themes]",
    "figures=false",
    "report.enabled=false",
    "classifier=keywords",
]


def test_tag_mode_tags_every_unit_and_scores_nothing(job_factory):
    cfg, out = job_factory([*CHEAP, "theme_stage.mode=tag"])
    metrics = run(cfg, out).metrics
    assert not any(k.startswith(("themes/macro_f1", "themes/A/", "themes/B/")) for k in metrics)
    predictions = pd.read_parquet(out / "themes" / "predictions.parquet")
    units = pd.read_parquet(out / "data" / "units.parquet")
    assert len(predictions) == len(units) > 100
    assert not (out / "themes" / "per_theme.csv").exists()


def test_protocol_a_is_the_headline_and_b_is_added_on_request(job_factory):
    cfg, out = job_factory([*CHEAP, "theme_stage.protocols=[A,B]", "theme_stage.n_resamples=50"])
    m = run(cfg, out).metrics
    assert m["themes/macro_f1"] == m["themes/A/macro_f1"]
    assert "themes/B/macro_f1" in m
    per_theme = pd.read_csv(out / "themes" / "per_theme.csv", index_col=0)
    assert per_theme.f1.mean() == pytest.approx(m["themes/macro_f1"])


def test_a_bad_mode_fails_naming_the_key(job_factory):
    with pytest.raises(Exception, match="theme_stage.mode"):
        cfg, out = job_factory([*CHEAP, "theme_stage.mode=grade"])
        run(cfg, out)


def test_protocols_need_the_authored_set_or_leave_one_article_out(job_factory):
    cfg, out = job_factory([*CHEAP, "theme_stage.protocols=[C]"])
    with pytest.raises(InputError, match=r"theme_stage.protocols=\['C'\]"):
        run(cfg, out)


def test_an_embedding_classifier_gets_an_embedder_without_the_embedding_stage(job_factory):
    """``stages=[data,preprocess,themes]`` with a method that embeds builds the embedder."""
    no_keywords = [o for o in CHEAP if not o.startswith("classifier=")]
    # gold-only training: the job embeds the 113 seed paragraphs, not the authored set too
    fast = ["classifier=embed_svm", "theme_stage.training=[gold]", "theme_stage.mode=tag"]
    cfg, out = job_factory([*no_keywords, *fast])
    run(cfg, out)
    predictions = pd.read_parquet(out / "themes" / "predictions.parquet")
    assert len(predictions) > 100 and predictions.filter(like="p_").notna().all().all()

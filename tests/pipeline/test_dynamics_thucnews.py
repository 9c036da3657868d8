"""Topics over time and per class on THUCNews headlines with synthetic dates (a JSONL corpus).

The headlines and their classes are real; the dates are drawn (seeded) over six months, since
THUCNews has none. Skipped with a message when the shared data is absent.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from topics.runner import run
from topics.tracking import resolve_tracking_uri

pytestmark = pytest.mark.slow

PER_CLASS = 60
MONTHS = 6


@pytest.fixture(scope="module")
def dated_corpus(thucnews_dir, tmp_path_factory):
    """A JSONL file: PER_CLASS dev headlines of each class, each with a date in 2024-01..06."""
    names = (thucnews_dir / "thucnews_classes.txt").read_text(encoding="utf-8").split()
    frame = pd.read_csv(
        thucnews_dir / "thucnews_dev.txt", sep="\t", names=["text", "label"], quoting=3
    )
    rng = np.random.default_rng(7)
    picked = frame.groupby("label", group_keys=False).head(PER_CLASS).reset_index(drop=True)
    days = rng.integers(0, 181, size=len(picked))
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")
    path = tmp_path_factory.mktemp("dated") / "headlines.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i, (text, label, date) in enumerate(zip(picked.text, picked.label, dates, strict=True)):
            record = {"id": f"h{i}", "text": text, "label": names[int(label)]}
            record["date"] = date.strftime("%Y-%m-%d")
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path, len(names)


def test_topics_over_time_and_per_class_are_logged_with_the_report(dated_corpus, job_factory):
    path, n_classes = dated_corpus
    cfg, out = job_factory(
        [
            "data=jsonl",
            f"data.path={path}",
            "data.title_field=null",
            "embedding=tfidf_svd",
            "stages=[data,preprocess,embedding,topic_model]",
            "topic_model.min_cluster_size=15",
            "figures=false",
        ]
    )
    result = run(cfg, out)
    over_time = pd.read_csv(out / "dynamics" / "topics_over_time.csv")
    per_class = pd.read_csv(out / "dynamics" / "topics_per_label.csv")
    assert sorted(over_time.bin.unique()) == [f"2024-0{m}" for m in range(1, MONTHS + 1)]
    assert over_time["count"].sum() == per_class["count"].sum() == result.metrics["data/n_units"]
    assert per_class.group.nunique() == n_classes
    for table, key in ((over_time, "bin"), (per_class, "group")):
        assert table.groupby(key)["share"].sum().round(9).eq(1.0).all()
    # one headline per article: the article view has too many groups and is left out
    assert not (out / "dynamics" / "topics_per_article.csv").exists()
    assert result.metrics["dynamics/n_over_time"] == MONTHS
    assert result.metrics["dynamics/n_per_label"] == n_classes

    client = MlflowClient(resolve_tracking_uri(cfg))
    run_ = client.get_run(result.run_id)
    assert client.get_experiment(run_.info.experiment_id).name == "topics-jsonl"
    logged = {a.path for a in client.list_artifacts(result.run_id, "dynamics")}
    for stem in ("topics_over_time", "topics_per_label"):
        assert {f"dynamics/{stem}.{ext}" for ext in ("csv", "html", "png")} <= logged
    page = (out / "report" / "report.html").read_text(encoding="utf-8")
    assert "Topics over time" in page and "Topics per label" in page
    assert names_in(page, per_class.group.unique())


def names_in(page: str, names) -> bool:
    """Every class name appears in the report."""
    return all(str(name) in page for name in names)

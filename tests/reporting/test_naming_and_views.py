"""Run names from overrides, topic shares per time bin and per group, article titles."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from topics.data.types import InputError
from topics.reporting.dynamics import article_titles, over_time, per_group, write_view
from topics.tracking.naming import run_name_from_overrides


def test_run_names_come_from_the_overrides_that_change_the_job():
    assert run_name_from_overrides([]) == "default"
    assert run_name_from_overrides(["paths.root_dir=/tmp/x", "tracking=server"]) == "default"
    name = run_name_from_overrides(
        [
            "embedding=minilm",
            "topic_model.min_cluster_size=5",
            "paths.root_dir=/tmp/x",
            "quiet=true",
        ]
    )
    assert name == "embedding=minilm·min_cluster_size=5"
    assert run_name_from_overrides(["+classifier.n_train=2000"]) == "n_train=2000"
    assert run_name_from_overrides(["data.path=/very/long/folder/name/corpus.jsonl"]) == (
        "path=corpus.jsonl"
    )
    assert len(run_name_from_overrides([f"k{i}=v" * 20 for i in range(40)])) <= 250


def _units():
    dates = pd.Series(["2024-01-03", "2024-01-20", "2024-02-01", None, "not a date", "2024-02-28"])
    topics = pd.Series([0, 1, 0, 1, 0, -1])
    return dates, topics, {0: "银行·大模型", 1: "人才", -1: "outliers"}


def test_topics_over_time_counts_units_per_month_and_skips_undated_units():
    dates, topics, labels = _units()
    view = over_time(dates, topics, labels, "M")
    table = view.table
    assert set(table.bin) == {"2024-01", "2024-02"}
    assert table["count"].sum() == 4  # the missing and the unparsable date are left out
    assert table.groupby("bin")["share"].sum().round(9).eq(1.0).all()
    jan = table[table.bin == "2024-01"].set_index("topic")
    assert jan.loc[0, "count"] == 1 and jan.loc[1, "label"] == "人才"
    assert over_time(pd.Series([None, None]), pd.Series([0, 1]), labels, "M") is None
    with pytest.raises(InputError, match="report.time_bin"):
        over_time(dates, topics, labels, "fortnight")


def test_topic_shares_per_group_need_two_to_max_groups(tmp_path):
    _, topics, labels = _units()
    groups = pd.Series(["财经", "财经", "科技", "科技", None, "科技"])
    view = per_group(groups, topics, labels, "label", max_groups=10)
    assert view.name == "topics_per_label"
    assert view.table.groupby("group")["count"].sum().to_dict() == {"科技": 3, "财经": 2}
    assert per_group(groups, topics, labels, "label", max_groups=1) is None
    assert per_group(pd.Series(["x"] * 6), topics, labels, "label", max_groups=10) is None
    write_view(view, tmp_path)
    assert (tmp_path / "topics_per_label.csv").is_file()
    page = (tmp_path / "topics_per_label.html").read_text(encoding="utf-8")
    assert json.dumps("科技")[1:-1] in page  # plotly writes its data as escaped JSON
    assert (tmp_path / "topics_per_label.png").stat().st_size > 5_000


def test_article_titles_are_unique_and_fall_back_to_ids():
    docs = pd.DataFrame(
        {"doc_id": ["a", "b", "c", "d"], "title": ["工行AI赋能", "工行AI赋能", None, "  "]}
    )
    assert article_titles(docs) == {
        "a": "工行AI赋能 (a)",
        "b": "工行AI赋能 (b)",
        "c": "c",
        "d": "d",
    }
    assert article_titles(docs.head(1), max_chars=3) == {"a": "工行…"}


def test_config_errors_become_one_line_with_the_key_and_the_fix():
    from hydra import compose, initialize_config_dir
    from hydra.errors import ConfigCompositionException

    from topics.cli.run import one_line
    from topics.paths import config_dir

    with (
        initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"),
        pytest.raises(ConfigCompositionException) as caught,
    ):
        compose(config_name="config", overrides=["topic_model.min_cluster_sizee=3"])
    line = one_line(caught.value)
    assert "\n" not in line and "topic_model.min_cluster_sizee" in line
    assert "+topic_model.min_cluster_sizee=3" in line and "--cfg job" in line


def test_the_report_diffs_the_config_against_the_defaults():
    from hydra import compose, initialize_config_dir

    from topics.paths import config_dir
    from topics.reporting.stage import config_diff, default_config

    defaults = default_config()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["topic_model.min_cluster_size=7"])
    diff = config_diff(cfg, defaults).set_index("key")
    assert diff.loc["topic_model.min_cluster_size", "value"] == "7"
    assert len(diff) == 1
    assert config_diff(defaults, defaults).empty

"""topics.explore on real runs: picking runs, reading artifacts, predicting, comparing."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest

from topics import explore as ex
from topics.data.types import InputError

SIMPLIFIED = "金融机构积极招聘人工智能人才，大模型专家成为新宠儿。"
TRADITIONAL = "金融機構積極招聘人工智能人才，大模型專家成為新寵兒。"


def test_default_tracking_uri_finds_the_nearest_store(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("TOPICS_ROOT", raising=False)
    db = tmp_path / "mlruns" / "mlflow.db"
    db.parent.mkdir()
    db.touch()
    nested = tmp_path / "notebooks" / "deeper"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    assert ex.default_tracking_uri() == f"sqlite:///{db.resolve().as_posix()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    assert ex.default_tracking_uri() == "http://127.0.0.1:5999"


def test_a_missing_store_is_a_clear_error_and_is_not_created(tmp_path):
    db = tmp_path / "nothing" / "mlflow.db"
    with pytest.raises(ex.RunNotFoundError, match="no MLflow database .*topics-run"):
        ex.pick_run(f"sqlite:///{db}")
    assert not db.exists()


@pytest.mark.slow
def test_pick_run_and_pick_runs(runs):
    latest = ex.pick_run(runs.tracking_uri)
    assert latest.info.run_id == runs.kmeans_id and latest.info.status == "FINISHED"
    assert ex.pick_run(runs.tracking_uri, run_id=runs.default_id).info.run_id == runs.default_id
    pair = ex.pick_runs(runs.tracking_uri, "topics-seeds", n=2)
    assert [r.info.run_id for r in pair] == [runs.kmeans_id, runs.default_id]
    with pytest.raises(ex.RunNotFoundError, match="no-such-experiment.*topics-seeds"):
        ex.pick_run(runs.tracking_uri, experiment="no-such-experiment")
    with pytest.raises(ex.RunNotFoundError, match="0123456789abcdef"):
        ex.pick_run(runs.tracking_uri, run_id="0123456789abcdef")
    with pytest.raises(ex.RunNotFoundError, match="2 FINISHED job run"):
        ex.pick_runs(runs.tracking_uri, n=3)


@pytest.mark.slow
def test_load_run_artifacts_reads_the_logged_tables(runs, explore_cache):
    art = ex.load_run_artifacts(
        ex.pick_run(runs.tracking_uri, run_id=runs.default_id), runs.tracking_uri
    )
    assert art.root == explore_cache / runs.default_id
    assert len(art.units) == len(art.assignments) == art.topics["size"].sum() == 113
    assert set(art.documents.doc_id) == set(art.doc_topic_mix.index) and len(art.documents) == 5
    assert {"topics_map", "topics_barchart"} <= set(art.figures) and set(art.images)
    # every default run tags units with themes and logs the theme model
    assert art.has_themes and len(art.theme_predictions) == 113
    assert ex.theme_model_uri(art) is not None
    frame = ex.EmbeddedFigure(art.figures["topics_map"])._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "plotly" in frame
    table = ex.topics_table(art, n_words=3)
    assert table.words.str.split().map(len).max() == 3 and table.index.name == "topic"
    profiles = ex.article_profiles(art)
    assert len(profiles) == 5 and profiles["top themes"].str.contains("%").all()
    kmeans = ex.load_run_artifacts(ex.pick_run(runs.tracking_uri), runs.tracking_uri)
    assert not kmeans.figures


@pytest.mark.slow
def test_representative_units_are_the_topics_own_paragraphs(runs, explore_cache):
    art = ex.load_run_artifacts(
        ex.pick_run(runs.tracking_uri, run_id=runs.default_id), runs.tracking_uri
    )
    reps = ex.representative_units(art, 0, n=4)
    assert len(reps) == 4 and reps.representative.iloc[0]
    members = set(art.assignments[art.assignments.topic == 0].unit_id)
    assert set(reps.unit_id) <= members
    assert reps.text.str.len().min() > 10 and reps.title.notna().all()
    with pytest.raises(InputError, match="topic 999 is not a topic"):
        ex.representative_units(art, 999)


@pytest.mark.slow
def test_predict_texts_nearest_topic_for_each_script(runs, explore_cache):
    art = ex.load_run_artifacts(
        ex.pick_run(runs.tracking_uri, run_id=runs.default_id), runs.tracking_uri
    )
    texts = [SIMPLIFIED, TRADITIONAL, "JPMorgan trains 300,000 employees to use AI tools."]
    pred = ex.predict_texts(art, texts, method="topics")
    assert pred.text.tolist() == texts and (pred.method == "embedding").all()
    assert pred.topic.isin(art.topics.topic[art.topics.topic >= 0]).all()
    assert pred.similarity.between(0, 1.0001).all() and pred.label.notna().all()
    # Traditional text is normalized to Simplified first, so both land on the same topic
    assert pred.topic[0] == pred.topic[1]
    assert pred.similarity[0] == pytest.approx(pred.similarity[1], abs=1e-4)
    with pytest.raises(InputError, match="non-blank"):
        ex.predict_texts(art, ["  "])
    # the run logged its theme pipeline: "auto" and "themes" use it
    themed = ex.predict_texts(art, texts)
    assert (themed.method == "theme_model").all() and themed.text.tolist() == texts
    assert "talent" in themed.themes[0]


@pytest.mark.slow
def test_predict_texts_uses_ctfidf_when_the_embedder_was_fitted_per_run(runs, explore_cache):
    from jobcfg import compose_job
    from topics.runner import run

    cfg, out = compose_job(
        runs.root,
        [
            "embedding=tfidf_svd",
            "topic_model/clustering=kmeans",
            "figures=false",
            "experiment_name=tfidf-test",
        ],
        job="tfidf",
    )
    run_id = run(cfg, out).run_id
    mlflow.set_tracking_uri(None)
    art = ex.load_run_artifacts(ex.pick_run(runs.tracking_uri, run_id=run_id), runs.tracking_uri)
    topic = int(art.topics.topic.iloc[0])
    rep = ex.representative_units(art, topic, n=1).text.iloc[0]
    pred = ex.predict_texts(art, [rep, "明天多云转晴，气温回升。"], method="topics")
    assert (pred.method == "c-tf-idf").all() and pred.label.notna().all()
    assert pred.topic[0] == topic  # a topic's representative paragraph comes back to it


def _keyword_theme_model() -> mlflow.pyfunc.PythonModel:
    """A real (if tiny) pyfunc theme model: talent vs other, by keyword."""

    class KeywordThemes(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
            talent = model_input["text"].str.contains("人才|招聘")
            return pd.DataFrame({"theme": talent.map({True: "talent", False: "other"})})

    return KeywordThemes()


@pytest.mark.slow
def test_theme_model_and_theme_tables_are_used_when_logged(runs, explore_cache, tmp_path):
    from jobcfg import compose_job
    from topics.runner import run

    cfg, out = compose_job(
        runs.root,
        [
            "topic_model/clustering=kmeans",
            "figures=false",
            "experiment_name=themes-test",
            "stages=[data,preprocess,embedding,topic_model]",
        ],
        job="themes",
    )
    run_id = run(cfg, out).run_id
    mlflow.set_tracking_uri(runs.tracking_uri)
    try:
        art = ex.load_run_artifacts(
            ex.pick_run(runs.tracking_uri, run_id=run_id), runs.tracking_uri
        )
        assert ex.theme_model_uri(art) is None and not art.has_themes
        # Another test may have left a different active experiment in this process;
        # resuming a run requires the active experiment to be the run's own.
        mlflow.set_experiment(experiment_id=mlflow.get_run(run_id).info.experiment_id)
        with mlflow.start_run(run_id=run_id):
            mlflow.pyfunc.log_model(
                name=ex.THEME_MODEL,
                python_model=_keyword_theme_model(),
                pip_requirements=["pandas"],
            )
        themes = tmp_path / "themes"
        themes.mkdir()
        docs = art.documents.doc_id
        pd.DataFrame({"doc_id": docs, "talent": 0.75, "other": 0.25}).to_csv(
            themes / "profile.csv", index=False
        )
        pd.DataFrame({"unit_id": art.units.unit_id, "theme": "other"}).to_parquet(
            themes / "predictions.parquet"
        )
        mlflow.MlflowClient(runs.tracking_uri).log_artifacts(run_id, str(themes), "themes")
    finally:
        mlflow.set_tracking_uri(None)
    art = ex.load_run_artifacts(ex.pick_run(runs.tracking_uri, run_id=run_id), runs.tracking_uri)
    assert art.has_themes and len(art.theme_predictions) == 113
    profiles = ex.article_profiles(art)
    assert profiles["top themes"].str.startswith("talent (75%); other (25%)").all()
    assert ex.theme_model_uri(art).startswith("models:/")
    pred = ex.predict_texts(art, [TRADITIONAL, "Banks cut costs with cloud computing."])
    assert pred.theme.tolist() == ["talent", "other"] and (pred.method == ex.THEME_MODEL).all()
    assert (ex.predict_texts(art, [SIMPLIFIED], method="topics").method == "embedding").all()


@pytest.mark.slow
def test_compare_runs_and_topics(runs, explore_cache):
    table = ex.compare_runs([runs.default_id, runs.kmeans_id], runs.tracking_uri)
    assert table.columns.str.contains(runs.default_id[:8]).sum() == 1
    params = table.loc["param"]
    assert params.loc["topic_model.clustering.name"].tolist() == ["hdbscan", "kmeans"]
    assert "paths.output_dir" not in params.index and "seed" not in params.index
    assert params.nunique(axis=1, dropna=False).min() == 2
    n_topics = table.loc[("metric", "topics/n_topics")]
    assert (n_topics >= 3).all()
    arts = [
        ex.load_run_artifacts(r, runs.tracking_uri)
        for r in ex.pick_runs(runs.tracking_uri, run_ids=[runs.default_id, runs.kmeans_id])
    ]
    side = ex.compare_topics(arts)
    assert side.shape == (int(n_topics.max()), 2)
    with pytest.raises(InputError, match="two or more"):
        ex.compare_runs([runs.default_id], runs.tracking_uri)

"""End to end on the seed corpus with the real m3e-small model, real BERTopic and real MLflow."""

from __future__ import annotations

import re

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from topics.runner import run
from topics.tracking import resolve_tracking_uri

pytestmark = pytest.mark.slow

CJK = re.compile(r"[\u4e00-\u9fff]")
#: the cheapest real theme classifier, for jobs whose theme stage is not what they test
KEYWORD_THEMES = "classifier=keywords"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The default job (themes by the default classifier), then a warm rerun of its topics.

    The rerun tags themes with ``keywords`` whatever the default: the cache and the topics are
    what it checks, and an embedding stack's two fits would add ~2 minutes to it.
    """
    from jobcfg import compose_job

    root = tmp_path_factory.mktemp("root")
    cfg1, out1 = compose_job(root, job="first")
    first = run(cfg1, out1)
    cfg2, out2 = compose_job(root, [KEYWORD_THEMES], job="second")
    second = run(cfg2, out2)
    return cfg1, first, second


def _client(cfg):
    return MlflowClient(resolve_tracking_uri(cfg))


def test_outputs_exist_and_make_sense(two_runs):
    _, first, _ = two_runs
    out = first.output_dir
    for rel in [
        "data/units.parquet",
        "data/documents.parquet",
        "data/ingestion_report.json",
        "data/ingestion_report.md",
        "topics/topics.csv",
        "topics/topics.json",
        "topics/assignments.parquet",
        "topics/doc_topic_mix.csv",
    ]:
        assert (out / rel).stat().st_size > 0, rel
    model_dir = out / "topics" / "model"
    assert (model_dir / "topics.json").is_file()
    assert list(model_dir.glob("*.safetensors")) and not list(model_dir.rglob("*.pickle"))
    figures = out / "topics" / "figures"
    assert len(list(figures.glob("*.html"))) >= 3 and len(list(figures.glob("*.png"))) >= 3
    topics = pd.read_csv(out / "topics/topics.csv")
    assignments = pd.read_parquet(out / "topics/assignments.parquet")
    units = pd.read_parquet(out / "data/units.parquet")
    assert len(assignments) == len(units) == 113
    assert topics["size"].sum() == len(units)
    assert first.metrics["topics/n_topics"] >= 3
    real_topics = topics[topics.topic >= 0]
    for words in real_topics.words:
        assert all(CJK.search(w) or re.fullmatch(r"[a-z][a-z0-9.\-]+", w) for w in words.split())
    assert {"大模型", "人才", "算力"} & set(" ".join(real_topics.words).split())


def test_mlflow_run_records_params_metrics_tags_and_artifacts(two_runs):
    cfg, first, _ = two_runs
    client = _client(cfg)
    run_ = client.get_run(first.run_id)
    assert run_.info.status == "FINISHED"
    exp = client.get_experiment(run_.info.experiment_id)
    assert exp.name == cfg.experiment_name == "topics-seeds"
    params = run_.data.params
    assert params["embedding.model"] == "m3e-small" and params["seed"] == "42"
    assert (
        params["topic_model.clustering.min_cluster_size"] == params["topic_model.min_cluster_size"]
    )
    metrics = run_.data.metrics
    for key in [
        "data/n_units",
        "data/n_documents",
        "topics/n_topics",
        "topics/outlier_ratio_before",
        "topics/outlier_ratio_after",
        "time/embedding_s",
        "time/topic_model_s",
        "embedding/cache_hit_ratio",
    ]:
        assert key in metrics, key
    assert metrics["data/n_units"] == 113 and metrics["data/n_documents"] == 5
    tags = run_.data.tags
    assert tags["corpus_fingerprint"] and "git_commit" in tags and "version.bertopic" in tags
    artifacts = {a.path for a in client.list_artifacts(first.run_id)}
    assert {"data", "topics", "hydra"} <= artifacts
    hydra_files = {a.path for a in client.list_artifacts(first.run_id, "hydra")}
    assert "hydra/config.yaml" in hydra_files or any("config.yaml" in p for p in hydra_files)


def test_warm_cache_and_reproducible_assignments(two_runs):
    _, first, second = two_runs
    assert first.metrics["embedding/cache_misses"] == 113
    assert second.metrics["embedding/cache_hit_ratio"] == 1.0
    a = pd.read_parquet(first.output_dir / "topics/assignments.parquet")
    b = pd.read_parquet(second.output_dir / "topics/assignments.parquet")
    pd.testing.assert_frame_equal(a, b)
    t1 = pd.read_csv(first.output_dir / "topics/topics.csv")
    t2 = pd.read_csv(second.output_dir / "topics/topics.csv")
    assert t1.words.tolist() == t2.words.tolist()


def test_a_failing_job_is_marked_failed(job_factory, tmp_path):
    missing = tmp_path / "no-such-corpus.jsonl"
    cfg, out = job_factory(["data=jsonl", f"data.path={missing}"])
    with pytest.raises(Exception, match="no-such-corpus"):
        run(cfg, out)
    client = _client(cfg)
    exp = client.get_experiment_by_name(cfg.experiment_name)
    runs = client.search_runs([exp.experiment_id])
    assert len(runs) == 1 and runs[0].info.status == "FAILED"
    assert "no-such-corpus" in runs[0].data.tags["error"]
    mlflow.set_tracking_uri(None)


def test_stability_mode_logs_refit_agreement(job_factory):
    cfg, out = job_factory(
        [
            "stability.enabled=true",
            "stability.n_runs=3",
            "figures=false",
            "stages=[data,preprocess,embedding,topic_model]",
        ]
    )
    result = run(cfg, out)
    m = result.metrics
    assert m["stability/n_runs"] == 3
    # baselines: refits agree more than this job's topics with a shuffled copy of themselves,
    # and their topics match better than this job's words dealt out to topics at random
    from sklearn.metrics import adjusted_rand_score

    from topics.evaluation import match_topics

    rng = np.random.default_rng(0)
    topics = pd.read_parquet(out / "topics" / "assignments.parquet").topic.to_numpy()
    chance_ari = max(adjusted_rand_score(topics, rng.permutation(topics)) for _ in range(20))
    assert m["stability/ari_mean"] > chance_ari, (m["stability/ari_mean"], chance_ari)
    table = pd.read_csv(out / "topics" / "topics.csv")
    words = [w.split() for w in table.loc[table.topic != -1, "words"]]
    dealt = rng.permutation([w for ws in words for w in ws])
    cuts = np.cumsum([len(ws) for ws in words])[:-1]
    _, chance = match_topics(words, [list(d) for d in np.split(dealt, cuts)])
    jaccard = m["stability/topic_match_jaccard"]
    assert jaccard > chance.mean(), (jaccard, chance.mean())
    # the refits' topic counts bracket each other, not necessarily this job's own count
    assert 1 <= m["stability/n_topics_min"] <= m["stability/n_topics_max"]
    # each refit clusters at the job's grain: its min_cluster_size shrinks with its resample
    runs = pd.read_csv(out / "topics" / "stability_runs.csv")
    n_units, size = m["data/n_units"], cfg.topic_model.min_cluster_size
    assert (runs.n_drawn < n_units).all()
    expected = [max(2, round(size * k / n_units)) for k in runs.n_drawn]
    assert runs.min_cluster_size.tolist() == expected
    logged = _client(cfg).get_run(result.run_id).data.metrics
    assert logged["stability/ari_mean"] == m["stability/ari_mean"]


def test_theme_stage_evaluates_tags_and_profiles(two_runs):
    cfg, first, _ = two_runs
    m = first.metrics
    for key in [
        "themes/macro_f1",
        "themes/micro_f1",
        "themes/hamming_loss",
        "themes/macro_f1_ci_low",
        "themes/macro_f1_ci_high",
        "themes/gold/talent",
    ]:
        assert key in m, key
    assert 0.3 < m["themes/macro_f1"] <= 1.0
    assert m["themes/macro_f1"] == m["themes/A/macro_f1"]
    assert not any(k.startswith("themes/B/") for k in m)  # B is opt-in: five more fits
    assert m["themes/macro_f1_ci_low"] <= m["themes/macro_f1"] <= m["themes/macro_f1_ci_high"]
    themes_dir = first.output_dir / "themes"
    per_theme = pd.read_csv(themes_dir / "per_theme.csv")
    assert len(per_theme) >= 7
    predictions = pd.read_parquet(themes_dir / "predictions.parquet")
    assert len(predictions) == 113 and "p_talent" in predictions
    profile = pd.read_csv(themes_dir / "profile.csv", index_col=0)
    assert len(profile) == 5 and profile.to_numpy().max() <= 1.0
    assert (themes_dir / "profile.png").stat().st_size > 10_000


def test_logged_theme_model_predicts_simplified_traditional_and_english(two_runs):
    cfg, first, _ = two_runs
    client = _client(cfg)
    uri = client.get_run(first.run_id).data.tags["themes/model_uri"]
    from topics.tracking.uri import scoped_tracking_uri

    with scoped_tracking_uri(resolve_tracking_uri(cfg)):
        model = mlflow.pyfunc.load_model(uri)
    assert model.metadata.signature is not None
    texts = [
        "银行加快招聘大模型算法人才，并为员工开设提示词工程培训。",
        "銀行加快招聘大模型算法人才，並為員工開設提示詞工程培訓。",
        "Banks are hiring large-model talent and training staff in prompt engineering.",
    ]
    out = model.predict(pd.DataFrame({"text": texts}))
    assert len(out) == 3 and {"themes", "p_talent", "topic", "topic_label"} <= set(out.columns)
    assert "talent" in out.themes[0] and out.themes[0] == out.themes[1]
    assert out.p_talent[0] == pytest.approx(out.p_talent[1])
    assert out.p_talent[2] > 0
    assert (out.topic >= 0).all()


def test_topics_predict_cli_reads_arguments_stdin_and_files(two_runs, tmp_path, capsys):
    import subprocess
    import sys

    from topics.cli.predict import main

    cfg, first, _ = two_runs
    uri = resolve_tracking_uri(cfg)
    assert main(["--tracking-uri", uri, "--json", "银行开设提示词工程培训，招聘大模型人才"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert '"talent"' in line and '"topic"' in line
    file = tmp_path / "texts.txt"
    file.write_text("金融機構自建算力集群\n\n数据治理与数据中台建设\n", encoding="utf-8")
    assert main(["--tracking-uri", uri, "--json", "--file", str(file)]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
    proc = subprocess.run(
        [sys.executable, "-m", "topics.cli.predict", "--tracking-uri", uri],
        input="监管要求模型可解释与隐私保护\n",
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "themes:" in proc.stdout and "topic" in proc.stdout


def test_thucnews_single_label_through_the_runner(job_factory, thucnews_dir):
    cfg, out = job_factory(
        [
            "data=thucnews",
            f"paths.shared_data_dir={thucnews_dir}",
            "classifier=tfidf_linear",
            "theme_stage.n_train=2000",
            "theme_stage.n_dev=1000",
            "stages=[data,preprocess,themes]",
        ]
    )
    result = run(cfg, out)
    assert result.metrics["thucnews/accuracy"] > 0.6
    assert 0.5 < result.metrics["thucnews/macro_f1"] <= 1.0
    assert (out / "themes" / "single_label.csv").is_file()


def test_thucnews_blend_logs_its_members_and_cross_fitted_scores(job_factory, thucnews_dir):
    cfg, out = job_factory(
        [
            "data=thucnews",
            f"paths.shared_data_dir={thucnews_dir}",
            "classifier=blend",
            "classifier.members=[lexical_svm,lexical_nbsvm]",
            "theme_stage.n_train=2000",
            "theme_stage.n_dev=500",
            "stages=[data,preprocess,themes]",
        ]
    )
    metrics = run(cfg, out).metrics
    for member in ("lexical_svm", "lexical_nbsvm"):
        assert 0.5 < metrics[f"member/{member}/val_accuracy"] <= 1.0
        assert metrics[f"member/{member}/val_log_loss"] > 0
    # a log-loss between a perfect model's and chance's (10 classes)
    assert 0 < metrics["chosen/cross_fitted/log_loss"] < np.log(10)
    assert 0.5 < metrics["chosen/cross_fitted/accuracy"] <= 1.0

"""Jobs of one process (a multirun) share the corpus, its units and tokens only when their
inputs are the same: same config, same files (size and modification time)."""

from __future__ import annotations

import logging
import shutil

import pytest

from topics import shared
from topics.runner import run

pytestmark = pytest.mark.slow

FAST = [
    "figures=false",
    "quiet=true",
    "stages=[data,preprocess,embedding,topic_model]",
    "embedding=tfidf_svd",
    "topic_model/reduction=pca",
]


def _corpus(folder):
    """A copy of the seed corpus (manifest + articles) that the test may edit."""
    from topics.paths import seeds_dir

    shutil.copytree(seeds_dir(), folder, ignore=shutil.ignore_patterns("gold", "README.md"))
    return folder


def test_second_job_reuses_units_and_tokens_until_a_file_changes(job_factory, tmp_path, caplog):
    shared.forget()
    corpus = _corpus(tmp_path / "corpus")
    data = [f"data.path={corpus}"]
    with caplog.at_level(logging.INFO, logger="topics.shared"):
        cfg, out = job_factory([*data, *FAST], job="a")
        first = run(cfg, out)
        assert "reused" not in caplog.text
        cfg, out = job_factory([*data, *FAST, "topic_model/clustering=kmeans"], job="b")
        second = run(cfg, out)
    for kind in ("documents", "preprocess", "unit_tokens"):
        assert f"{kind}: reused from the previous job" in caplog.text
    assert second.metrics["data/n_units"] == first.metrics["data/n_units"] == 113
    assert (out / "data" / "ingestion_report.md").is_file()  # each job still writes its outputs
    # a changed corpus is read again
    caplog.clear()
    article = next(corpus.glob("004_*.txt"))
    extra = "\n\n银行科技部门计划在明年扩大算力投入，并为大模型应用建立新的安全评估流程。\n"
    article.write_text(article.read_text(encoding="utf-8") + extra, encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="topics.shared"):
        cfg, out = job_factory([*data, *FAST], job="c")
        third = run(cfg, out)
    assert "documents: reused" not in caplog.text
    assert third.metrics["data/n_units"] == 114
    # another preprocess setting reuses the documents but cuts new units
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="topics.shared"):
        cfg, out = job_factory([*data, *FAST, "preprocess=sentences"], job="d")
        run(cfg, out)
    assert "documents: reused" in caplog.text and "preprocess: reused" not in caplog.text
    shared.forget()

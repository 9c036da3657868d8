"""A fresh default seeds job reproduces the topics recorded in the README.

``scripts/expected_topics.py`` is the one source: it runs the job the same way and writes
``expected_seed_topics.json`` and the README's "Expected topics on the seeds" section.
"""

from __future__ import annotations

import json

import pytest
from repro_helpers import REPO
from repro_helpers import expected_topics as script

pytestmark = pytest.mark.slow


def test_fresh_default_job_gives_the_expected_topics(jobs):
    """The ``as_is`` job of ``conftest.py``: the default job, fresh, in an empty root."""
    expected = json.loads(script.JSON_PATH.read_text(encoding="utf-8"))
    assert expected["job"] == script.JOB_ARGS, "rerun scripts/expected_topics.py"
    job, root = jobs["as_is"]
    assert script.job_topics(job) == expected["topics"]
    metrics = script.job_metrics(root)
    assert metrics["topics/n_topics"] == expected["n_topics"]
    assert round(metrics["topics/npmi_mean"], 4) == expected["npmi_mean"]


def test_readme_shows_the_expected_topics():
    expected = json.loads(script.JSON_PATH.read_text(encoding="utf-8"))
    assert script.readme_section(expected) in (REPO / "README.md").read_text(encoding="utf-8")

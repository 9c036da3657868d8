"""Fixtures of the pipeline tests."""

from __future__ import annotations

import pytest

from jobcfg import compose_job


@pytest.fixture
def job_factory(tmp_path):
    """Return ``make(overrides, job)`` composing configs rooted in this test's tmp_path."""

    def make(overrides: list[str] | None = None, job: str = "job"):
        return compose_job(tmp_path, overrides, job)

    return make

"""What a pipeline job sees of its run: log metrics, params, artifacts and tags."""

from __future__ import annotations

import numbers
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from topics.tracking.params import (
    MAX_METRICS_PER_BATCH,
    MAX_PARAM_VALUE_LENGTH,
    MAX_PARAMS_TAGS_PER_BATCH,
    MAX_TAG_VALUE_LENGTH,
    format_value,
    sanitize_key,
    truncate_value,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient


class RunRecorder:
    """Logs into one MLflow run through an explicit client (no global state).

    Args:
        client: Client bound to the run's tracking URI.
        run_id: The run to log into.

    """

    def __init__(self, client: MlflowClient, run_id: str) -> None:
        self.client = client
        self.run_id = run_id

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Log numeric metrics; names may use ``/`` groups, e.g. ``time/embedding_s``.

        Raises:
            TypeError: A value is not a real number (the message names the metric).

        """
        from mlflow.entities import Metric

        timestamp = int(time.time() * 1000)
        entries = [
            Metric(sanitize_key(name), _metric_value(name, value), timestamp, step or 0)
            for name, value in metrics.items()
        ]
        for batch in _chunks(entries, MAX_METRICS_PER_BATCH):
            self.client.log_batch(self.run_id, metrics=batch, synchronous=True)

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log params (values formatted like :func:`~topics.tracking.flatten_config` does)."""
        from mlflow.entities import Param

        entries = [
            Param(sanitize_key(key), truncate_value(format_value(value), MAX_PARAM_VALUE_LENGTH))
            for key, value in params.items()
        ]
        for batch in _chunks(entries, MAX_PARAMS_TAGS_PER_BATCH):
            self.client.log_batch(self.run_id, params=batch, synchronous=True)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set tags, e.g. ``{"corpus_fingerprint": "..."}``; values are stringified."""
        from mlflow.entities import RunTag

        entries = [
            RunTag(sanitize_key(key), truncate_value(format_value(value), MAX_TAG_VALUE_LENGTH))
            for key, value in tags.items()
        ]
        for batch in _chunks(entries, MAX_PARAMS_TAGS_PER_BATCH):
            self.client.log_batch(self.run_id, tags=batch, synchronous=True)

    def log_artifact(self, path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        """Copy one file into the run's artifacts (under ``artifact_path`` if given)."""
        file = _existing(path, want_dir=False)
        self.client.log_artifact(self.run_id, str(file), artifact_path)

    def log_dir(self, path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        """Copy a folder's contents into the run's artifacts under ``artifact_path``."""
        folder = _existing(path, want_dir=True)
        self.client.log_artifacts(self.run_id, str(folder), artifact_path)

    def log_text(self, text: str, artifact_file: str) -> None:
        """Write ``text`` as the artifact file ``artifact_file``."""
        self.client.log_text(self.run_id, text, artifact_file)


class NullRecorder:
    """Same methods as :class:`RunRecorder`, doing nothing (``tracking.enabled=false``)."""

    run_id: str | None = None

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Check the values like :class:`RunRecorder` does, then drop them."""
        for name, value in metrics.items():
            _metric_value(name, value)

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Drop the params."""

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Drop the tags."""

    def log_artifact(self, path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        """Check the file exists, then drop it."""
        _existing(path, want_dir=False)

    def log_dir(self, path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        """Check the folder exists, then drop it."""
        _existing(path, want_dir=True)

    def log_text(self, text: str, artifact_file: str) -> None:
        """Drop the text."""


def _metric_value(name: str, value: Any) -> float:
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(
        f"metric {name!r} must be a real number, got {type(value).__name__} {value!r}; "
        "log text or lists as params, tags or artifacts instead."
    )


def _existing(path: str | os.PathLike[str], *, want_dir: bool) -> Path:
    candidate = Path(path)
    ok = candidate.is_dir() if want_dir else candidate.is_file()
    if not ok:
        kind = "folder" if want_dir else "file"
        raise FileNotFoundError(f"cannot log artifact: no {kind} at {candidate}")
    return candidate


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]

"""Tracking stage: MLflow runs for Hydra jobs (one job = one run; a multirun = parent + children).

Typical use inside the Hydra task function::

    with tracked_run(cfg, job_dir, cfg.experiment_name) as rec:
        rec.log_metrics({"data/n_units": n})

and, for multiruns, :class:`topics.tracking.callbacks.MlflowSweepCallback` in
``hydra.callbacks``. MLflow itself is imported lazily, when a run starts.
"""

from topics.tracking.params import flatten_config
from topics.tracking.parent import PARENT_RUN_FILE, find_parent_run_id
from topics.tracking.provenance import CORPUS_FINGERPRINT_TAG, provenance_tags
from topics.tracking.recorder import NullRecorder, RunRecorder
from topics.tracking.run import get_or_create_experiment, tracked_run
from topics.tracking.settings import TrackingSettings
from topics.tracking.uri import (
    TrackingUnreachableError,
    check_tracking_reachable,
    resolve_tracking_uri,
)

__all__ = [
    "CORPUS_FINGERPRINT_TAG",
    "PARENT_RUN_FILE",
    "NullRecorder",
    "RunRecorder",
    "TrackingSettings",
    "TrackingUnreachableError",
    "check_tracking_reachable",
    "find_parent_run_id",
    "flatten_config",
    "get_or_create_experiment",
    "provenance_tags",
    "resolve_tracking_uri",
    "tracked_run",
]

"""Hydra callback that gives each multirun a parent MLflow run, with the jobs as its children.

Enable it in the primary config::

    hydra:
      callbacks:
        mlflow_sweep:
          _target_: topics.tracking.callbacks.MlflowSweepCallback

Jobs find the parent through the file ``<hydra.sweep.dir>/.mlflow_parent_run_id`` (see
:func:`topics.tracking.find_parent_run_id`), so launchers that run jobs in other processes work.
The parent is created with the client API, leaving MLflow's active-run stack to the jobs.
"""

from __future__ import annotations

import atexit
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from topics.tracking.params import MAX_PARAM_VALUE_LENGTH, truncate_value
from topics.tracking.parent import read_parent_run_id, write_parent_run_id
from topics.tracking.provenance import provenance_tags
from topics.tracking.run import get_or_create_experiment
from topics.tracking.settings import TrackingSettings, absolute_path
from topics.tracking.uri import (
    artifact_location,
    check_tracking_reachable,
    http_request_limits,
    resolve_tracking_uri,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient

log = logging.getLogger(__name__)

SWEEP_TAG = "sweep"
PARENT_TAG = "mlflow.parentRunId"


@dataclass(frozen=True)
class _OpenParent:
    """A parent run this process started and has not ended yet."""

    uri: str
    run_id: str
    experiment_id: str
    settings: TrackingSettings


class MlflowSweepCallback(Callback):
    """Open a parent run when a multirun starts and end it when the multirun ends.

    The parent ends FINISHED when every child finished, FAILED when a child failed, and
    KILLED when the sweep stopped early (e.g. Ctrl-C) without a failed child; a sweep that
    aborts without reaching ``on_multirun_end`` is closed at interpreter exit.

    Args:
        experiment_name: Experiment of the parent run; defaults to the root ``experiment_name``.
            Jobs must log to the same experiment to show up nested in the MLflow UI.

    """

    def __init__(self, experiment_name: str | None = None) -> None:
        self.experiment_name = experiment_name
        self._open: _OpenParent | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Create the parent run and write its id into the sweep dir."""
        with _hydra_resolvable(config):
            self._start(config)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """End the parent run: FAILED if any child failed, else FINISHED."""
        with _hydra_resolvable(config):
            if self._open is None:
                self._open = self._reopen(config)
            if self._open is not None:
                self._finish(aborted=False)

    def _start(self, config: DictConfig) -> None:
        settings = TrackingSettings.from_config(config)
        if not settings.enabled:
            return
        from mlflow import MlflowClient

        sweep_dir = _sweep_dir(config)
        overrides = truncate_value(_task_overrides(config), MAX_PARAM_VALUE_LENGTH)
        name = self.experiment_name or settings.experiment_name
        uri = resolve_tracking_uri(config)
        check_tracking_reachable(uri, timeout_s=settings.check_timeout_s)
        with http_request_limits(settings):
            client = MlflowClient(uri)
            experiment_id = get_or_create_experiment(
                client, name, artifact_location(settings, uri, name)
            )
            tags = {
                **provenance_tags(),
                SWEEP_TAG: "true",
                "sweep_dir": str(sweep_dir),
                "sweep_overrides": overrides,
            }
            run = client.create_run(experiment_id, tags=tags, run_name=_run_name(name, sweep_dir))
            run_id = run.info.run_id
            client.log_param(run_id, "sweep.overrides", overrides)
        write_parent_run_id(sweep_dir, run_id)
        self._open = _OpenParent(uri, run_id, experiment_id, settings)
        atexit.register(self._close_at_exit)
        log.info("MLflow parent run %s for sweep %s", run_id, sweep_dir)

    def _reopen(self, config: DictConfig) -> _OpenParent | None:
        """Find a still-running parent from the sweep dir (another instance started it)."""
        settings = TrackingSettings.from_config(config)
        if not settings.enabled:
            return None
        run_id = read_parent_run_id(_sweep_dir(config))
        if run_id is None:
            return None
        from mlflow import MlflowClient

        uri = resolve_tracking_uri(config)
        info = MlflowClient(uri).get_run(run_id).info
        if info.status != "RUNNING":  # already ended
            return None
        return _OpenParent(uri, run_id, info.experiment_id, settings)

    def _finish(self, *, aborted: bool) -> None:
        from mlflow import MlflowClient

        parent = self._open
        assert parent is not None
        with http_request_limits(parent.settings):
            client = MlflowClient(parent.uri)
            statuses = _child_statuses(client, parent.experiment_id, parent.run_id)
            status = _parent_status(statuses, aborted=aborted)
            client.log_metric(parent.run_id, "sweep/n_jobs", len(statuses))
            client.log_metric(parent.run_id, "sweep/n_failed", statuses.count("FAILED"))
            client.set_terminated(parent.run_id, status)
        self._open = None
        atexit.unregister(self._close_at_exit)
        log.info("MLflow parent run %s ended %s", parent.run_id, status)

    def _close_at_exit(self) -> None:
        """End a parent run still open when the process exits (sweep aborted)."""
        if self._open is None:
            return
        try:
            self._finish(aborted=True)
        except Exception:
            log.exception("could not end MLflow parent run %s", self._open.run_id)


@contextmanager
def _hydra_resolvable(config: DictConfig) -> Iterator[None]:
    """Let ``${hydra:...}`` interpolations resolve: Hydra sets its global config only for jobs."""
    from hydra.conf import HydraConf
    from hydra.core.hydra_config import HydraConfig

    node_type = OmegaConf.get_type(config, "hydra") if "hydra" in config else None
    is_hydra = isinstance(node_type, type) and issubclass(node_type, HydraConf)
    if HydraConfig.initialized() or not is_hydra:
        yield
        return
    instance = HydraConfig.instance()
    saved = instance.cfg
    instance.set_config(config)
    try:
        yield
    finally:
        instance.cfg = saved


def _sweep_dir(config: DictConfig) -> Path:
    sweep_dir = OmegaConf.select(config, "hydra.sweep.dir", default=None)
    if not sweep_dir:
        raise ValueError(
            "MlflowSweepCallback needs `hydra.sweep.dir` in the config it receives; it is "
            "meant for Hydra multiruns (`--multirun`)."
        )
    path = Path(str(sweep_dir))
    cwd = OmegaConf.select(config, "hydra.runtime.cwd", default=None)
    if not path.is_absolute() and cwd:
        path = Path(str(cwd)) / path
    return absolute_path(path)


def _task_overrides(config: DictConfig) -> str:
    node = OmegaConf.select(config, "hydra.overrides.task", default=None)
    overrides = OmegaConf.to_container(node) if node is not None else []
    return json.dumps(overrides, ensure_ascii=False)


def _run_name(experiment_name: str, sweep_dir: Path) -> str:
    return f"{experiment_name} sweep {sweep_dir.parent.name}/{sweep_dir.name}"


def _child_statuses(client: MlflowClient, experiment_id: str, parent_run_id: str) -> list[str]:
    """Return the status of every run tagged as a child of ``parent_run_id``."""
    statuses: list[str] = []
    token = None
    while True:
        page = client.search_runs(
            [experiment_id],
            filter_string=f"tags.`{PARENT_TAG}` = '{parent_run_id}'",
            max_results=1000,
            page_token=token,
        )
        statuses.extend(run.info.status for run in page)
        token = page.token
        if not token:
            return statuses


def _parent_status(child_statuses: list[str], *, aborted: bool) -> str:
    if "FAILED" in child_statuses:
        return "FAILED"
    if aborted or any(status != "FINISHED" for status in child_statuses):
        return "KILLED"
    return "FINISHED"

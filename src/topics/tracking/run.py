"""One Hydra job = one MLflow run: :func:`tracked_run` opens, records and always closes it."""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf

from topics.tracking.params import MAX_TAG_VALUE_LENGTH, flatten_config, truncate_value
from topics.tracking.parent import find_parent_run_id, find_parent_run_id_above
from topics.tracking.provenance import provenance_tags
from topics.tracking.recorder import NullRecorder, RunRecorder
from topics.tracking.settings import TrackingSettings
from topics.tracking.uri import (
    artifact_location,
    check_tracking_reachable,
    http_request_limits,
    resolve_tracking_uri,
    scoped_tracking_uri,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient

log = logging.getLogger(__name__)

ERROR_TAG = "error"
ERROR_ARTIFACT = "error.txt"
HYDRA_ARTIFACT_PATH = "hydra"
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"


@contextmanager
def tracked_run(
    cfg: DictConfig | Mapping[str, Any],
    job_dir: str | os.PathLike[str],
    experiment_name: str,
    run_name: str | None = None,
    parent_run_id: str | None = None,
) -> Iterator[RunRecorder | NullRecorder]:
    """Open an MLflow run for one job, yield a recorder, and always end the run.

    The run gets the flattened config as params and provenance tags (git commit, package
    versions, host). Without ``parent_run_id`` the job joins its sweep's parent run when it is
    part of a multirun (see :func:`~topics.tracking.find_parent_run_id`). On success the job's
    ``.hydra/`` folder is logged as artifact ``hydra/`` and the run ends FINISHED; if the body
    raises, the run gets tag ``error`` and artifact ``error.txt`` and ends FAILED (KILLED for
    KeyboardInterrupt), and the exception propagates. With ``tracking.enabled=false`` a
    :class:`NullRecorder` is yielded and nothing is logged.

    Args:
        cfg: The job config (root, with a ``tracking`` node).
        job_dir: The job's output folder (Hydra's ``runtime.output_dir``).
        experiment_name: MLflow experiment; created on first use.
        run_name: Display name of the run (MLflow picks one when ``None``).
        parent_run_id: Parent run to nest under.

    Raises:
        TrackingUnreachableError: The tracking server does not answer (before the body runs).

    """
    settings = TrackingSettings.from_config(cfg)
    if not settings.enabled:
        yield NullRecorder()
        return
    import mlflow

    uri = resolve_tracking_uri(cfg)
    check_tracking_reachable(uri, timeout_s=settings.check_timeout_s)
    with ExitStack() as scope:
        scope.enter_context(http_request_limits(settings))
        scope.enter_context(scoped_tracking_uri(uri))
        client = mlflow.MlflowClient(uri)
        experiment_id = get_or_create_experiment(
            client, experiment_name, artifact_location(settings, uri, experiment_name)
        )
        parent = _parent_for(client, cfg, Path(job_dir), parent_run_id)
        outer = mlflow.active_run()
        run = mlflow.start_run(
            experiment_id=experiment_id,
            run_name=run_name,
            parent_run_id=parent,
            nested=outer is not None,
            tags={"job_dir": str(Path(job_dir).resolve())},
        )
        recorder = RunRecorder(client, run.info.run_id)
        end = _RunEnder(client, run.info.run_id, outer.info.run_id if outer else None)
        try:
            recorder.set_tags(provenance_tags())
            recorder.log_params(flatten_config(cfg))
            yield recorder
        except BaseException as exc:
            status = _status_after(exc)
            if status != "FINISHED":
                _record_error(recorder, exc)
            _log_hydra_dir(recorder, Path(job_dir), best_effort=True)
            end(status)
            raise
        try:
            _log_hydra_dir(recorder, Path(job_dir), best_effort=False)
        except BaseException as exc:
            _record_error(recorder, exc)
            end(_status_after(exc))
            raise
        end("FINISHED")


def get_or_create_experiment(
    client: MlflowClient, name: str, artifact_location: str | None = None
) -> str:
    """Return the id of experiment ``name``, creating it (with ``artifact_location``) if needed.

    Raises:
        ValueError: The experiment exists but is deleted.

    """
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode

    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        try:
            # tagged as model development, so MLflow 3's UI opens it on its training runs
            return client.create_experiment(
                name,
                artifact_location=artifact_location,
                tags={EXPERIMENT_KIND_TAG: "custom_model_development"},
            )
        except MlflowException as err:  # another process created it meanwhile
            if err.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
                raise
            experiment = client.get_experiment_by_name(name)
            assert experiment is not None
    if experiment.lifecycle_stage != "active":
        raise ValueError(
            f"MLflow experiment {name!r} (id {experiment.experiment_id}) is deleted; restore it "
            f"with `mlflow experiments restore --experiment-id {experiment.experiment_id}` or "
            "choose another experiment name."
        )
    return experiment.experiment_id


def _parent_for(
    client: MlflowClient, cfg: DictConfig | Mapping[str, Any], job_dir: Path, explicit: str | None
) -> str | None:
    """Pick the parent run: explicit, else the sweep's marker file, else none."""
    from hydra.core.hydra_config import HydraConfig

    if explicit is not None:
        _require_run(client, explicit)
        return explicit
    found = find_parent_run_id(cfg)
    if found is not None:
        return found if _run_status(client, found) is not None else _skip(found, "not found")
    if HydraConfig.initialized():
        return None
    above = find_parent_run_id_above(job_dir)
    if above is None:
        return None
    run_id, sweep_dir = above
    status = _run_status(client, run_id)
    if status != "RUNNING":
        return _skip(run_id, f"{status or 'not found'} (marker in {sweep_dir})")
    return run_id


def _skip(run_id: str, why: str) -> None:
    log.warning("not nesting under parent run %s: it is %s in this tracking store", run_id, why)
    return None


def _run_status(client: MlflowClient, run_id: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_run(run_id).info.status
    except MlflowException:
        return None


def _require_run(client: MlflowClient, run_id: str) -> None:
    if _run_status(client, run_id) is None:
        raise ValueError(
            f"parent run {run_id} does not exist in tracking store {client.tracking_uri}; "
            "pass the id of an existing run or none."
        )


def _status_after(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt | GeneratorExit):
        return "KILLED"
    if isinstance(exc, SystemExit) and exc.code in (0, None):
        return "FINISHED"
    return "FAILED"


def _record_error(recorder: RunRecorder, exc: BaseException) -> None:
    """Tag the run with the error and store its traceback; never raises."""
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    text = "".join(traceback.format_exception(exc))
    try:
        recorder.set_tags({ERROR_TAG: truncate_value(message, MAX_TAG_VALUE_LENGTH)})
        recorder.log_text(text, ERROR_ARTIFACT)
    except Exception:  # the original error matters more than this one
        log.exception("could not record the error of run %s", recorder.run_id)


def _log_hydra_dir(recorder: RunRecorder, job_dir: Path, *, best_effort: bool) -> None:
    hydra_dir = job_dir / _hydra_subdir()
    if not hydra_dir.is_dir():
        log.debug("no Hydra folder at %s; nothing to log", hydra_dir)
        return
    try:
        recorder.log_dir(hydra_dir, HYDRA_ARTIFACT_PATH)
    except Exception:
        if not best_effort:
            raise
        log.exception("could not log %s of run %s", hydra_dir, recorder.run_id)


def _hydra_subdir() -> str:
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        subdir = OmegaConf.select(HydraConfig.get(), "output_subdir", default=None)
        if subdir:
            return str(subdir)
    return ".hydra"


class _RunEnder:
    """Ends one run started by :func:`tracked_run`, whatever the body did to the run stack."""

    def __init__(self, client: MlflowClient, run_id: str, outer_run_id: str | None) -> None:
        self.client = client
        self.run_id = run_id
        self.outer_run_id = outer_run_id

    def __call__(self, status: str) -> None:
        """End the run with ``status`` (never raises unless ending a successful run fails)."""
        try:
            self._end(status)
        except Exception:
            if status == "FINISHED":
                raise
            log.exception("could not end run %s as %s", self.run_id, status)

    def _end(self, status: str) -> None:
        import mlflow

        # Close runs the body left open above ours, then ours; never the caller's outer run.
        while (active := mlflow.active_run()) is not None:
            if active.info.run_id == self.outer_run_id:
                break
            mlflow.end_run(status)
            if active.info.run_id == self.run_id:
                return
        self.client.set_terminated(self.run_id, status)

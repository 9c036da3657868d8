"""Find runs in an MLflow store and download the artifacts a notebook reads."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from topics.data.types import InputError

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
DEFAULT_DB = Path("mlruns") / "mlflow.db"
DEFAULT_EXPERIMENT = "topics-seeds"
THEME_MODEL = "theme_model"
#: Artifact folders a notebook reads (``themes`` only exists once the classifier ran).
ARTIFACT_DIRS = ("data", "topics", "hydra", "themes")
CACHE_ENV = "TOPICS_EXPLORE_CACHE"
_DONE_MARKER = ".downloaded.json"
_PROGRESS_ENV = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"


class RunNotFoundError(LookupError):
    """No run matches; the message names the store and what to do."""


def default_tracking_uri() -> str:
    """Env ``MLFLOW_TRACKING_URI``, else the nearest ``mlruns/mlflow.db`` from the cwd upwards.

    ``$TOPICS_ROOT/mlruns/mlflow.db`` is tried first; without any database found the URI points
    at ``<cwd>/mlruns/mlflow.db`` (where ``topics-run`` writes by default).
    """
    env = os.environ.get(TRACKING_URI_ENV, "").strip()
    if env:
        return env
    roots = [Path(os.environ["TOPICS_ROOT"])] if os.environ.get("TOPICS_ROOT") else []
    cwd = Path.cwd().resolve()
    roots += [cwd, *cwd.parents]
    found = next((r / DEFAULT_DB for r in roots if (r / DEFAULT_DB).is_file()), cwd / DEFAULT_DB)
    return "sqlite:///" + found.resolve().as_posix()


def _client(tracking_uri: str | None) -> tuple[MlflowClient, str]:
    from mlflow import MlflowClient

    uri = tracking_uri or default_tracking_uri()
    if uri.startswith("sqlite:///") and not Path(uri[len("sqlite:///") :]).is_file():
        raise RunNotFoundError(
            f"no MLflow database at {uri}; run a job first (`topics-run`), or pass "
            f"tracking_uri=... / set env {TRACKING_URI_ENV} to the store that holds your runs"
        )
    return MlflowClient(uri), uri


def _finished_job_runs(client: MlflowClient, uri: str, experiment: str | None, n: int) -> list[Run]:
    """The experiment's ``n`` latest FINISHED job runs (sweep parents have no artifacts)."""
    name = experiment or DEFAULT_EXPERIMENT
    exp = client.get_experiment_by_name(name)
    if exp is None:
        known = [e.name for e in client.search_experiments()]
        raise RunNotFoundError(f"experiment {name!r} not found in {uri}; experiments: {known}")
    runs = client.search_runs(
        [exp.experiment_id],
        filter_string="attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
        max_results=max(50, 2 * n),
    )
    jobs = [r for r in runs if r.data.tags.get("sweep") != "true"][:n]
    if len(jobs) < n:
        raise RunNotFoundError(
            f"experiment {name!r} in {uri} has {len(jobs)} FINISHED job run(s), {n} needed; "
            "run `topics-run` (again)"
        )
    return jobs


def pick_run(
    tracking_uri: str | None = None, experiment: str | None = None, run_id: str | None = None
) -> Run:
    """Return one MLflow run: ``run_id`` if given, else the experiment's latest FINISHED job run.

    Sweep parent runs (tag ``sweep=true``) are skipped: they hold no artifacts.

    Args:
        tracking_uri: The store; default :func:`default_tracking_uri`.
        experiment: Experiment name; default ``topics-seeds``.
        run_id: A run id (any status, any experiment).

    Raises:
        RunNotFoundError: The run, the experiment or a finished run in it does not exist.
    """
    from mlflow.exceptions import MlflowException

    client, uri = _client(tracking_uri)
    if not run_id:
        return _finished_job_runs(client, uri, experiment, 1)[0]
    try:
        return client.get_run(run_id)
    except MlflowException as err:
        raise RunNotFoundError(f"run {run_id!r} not found in {uri}") from err


def pick_runs(
    tracking_uri: str | None = None,
    experiment: str | None = None,
    run_ids: list[str] | None = None,
    n: int = 2,
) -> list[Run]:
    """Return the runs ``run_ids``, else the experiment's ``n`` latest FINISHED job runs."""
    if run_ids:
        return [pick_run(tracking_uri, run_id=r) for r in run_ids]
    client, uri = _client(tracking_uri)
    return _finished_job_runs(client, uri, experiment, n)


@dataclass
class RunArtifacts:
    """The tables and files of one run, downloaded into ``root``.

    Attributes:
        run: The MLflow run.
        root: Local folder holding the downloaded artifact folders.
        tracking_uri: The store the run came from.
        topics: One row per topic: ``topic, size, share, label, words`` (list), representatives.
        assignments: One row per unit: ``unit_id, doc_id, topic, probability, ...``.
        units: The modeled units (paragraphs): ``unit_id, doc_id, text, norm, ...``.
        documents: One row per article: ``doc_id, title, date, language, ...``.
        doc_topic_mix: Share of each topic among an article's units (index ``doc_id``).
        figures: Interactive figures, name -> HTML file.
        images: Static figures, name -> PNG file.
        theme_predictions: Per-unit theme predictions (``themes/predictions.parquet``) or None.
        theme_profile: Per-article theme profile (``themes/profile.csv``) or None.
    """

    run: Run
    root: Path
    tracking_uri: str
    topics: pd.DataFrame
    assignments: pd.DataFrame
    units: pd.DataFrame
    documents: pd.DataFrame
    doc_topic_mix: pd.DataFrame
    figures: dict[str, Path] = field(default_factory=dict)
    images: dict[str, Path] = field(default_factory=dict)
    theme_predictions: pd.DataFrame | None = None
    theme_profile: pd.DataFrame | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.run.info.run_id

    @property
    def has_themes(self) -> bool:
        """Whether the run logged theme tables."""
        return self.theme_predictions is not None or self.theme_profile is not None

    def config(self) -> DictConfig:
        """The job's config as saved by Hydra (``hydra/config.yaml``, not resolved)."""
        file = self.root / "hydra" / "config.yaml"
        if not file.is_file():
            raise InputError(f"{file} is missing: run {self.run_id} logged no hydra/ folder")
        return OmegaConf.load(file)  # type: ignore[return-value]


def cache_root() -> Path:
    """Where runs are downloaded: env ``TOPICS_EXPLORE_CACHE``, else ``<tmp>/topics-explore``."""
    env = os.environ.get(CACHE_ENV, "").strip()
    return Path(env) if env else Path(tempfile.gettempdir()) / "topics-explore"


def load_run_artifacts(
    run: Run, tracking_uri: str | None = None, cache_dir: str | Path | None = None
) -> RunArtifacts:
    """Download a run's artifact folders (once; again when new ones appear) and read its tables.

    Args:
        run: A run from :func:`pick_run`.
        tracking_uri: The run's store; default :func:`default_tracking_uri`.
        cache_dir: Download folder; default ``<cache_root()>/<run id>``.

    Raises:
        InputError: The run has no ``topics/`` artifacts (not a topic-model job, or it failed).
    """
    client, uri = _client(tracking_uri)
    run_id = run.info.run_id
    root = Path(cache_dir) if cache_dir else cache_root() / run_id
    present = {a.path for a in client.list_artifacts(run_id)}
    if "topics" not in present:
        raise InputError(
            f"run {run_id} has no topics/ artifacts (artifacts: {sorted(present)}); "
            "pick a finished topic-model job run"
        )
    marker = root / _DONE_MARKER
    done = set(json.loads(marker.read_text(encoding="utf-8"))) if marker.is_file() else set()
    wanted = [folder for folder in ARTIFACT_DIRS if folder in present and folder not in done]
    if wanted:
        from mlflow.artifacts import download_artifacts

        root.mkdir(parents=True, exist_ok=True)
        with _no_progress_bars():
            for folder in wanted:
                download_artifacts(
                    run_id=run_id, artifact_path=folder, dst_path=str(root), tracking_uri=uri
                )
        marker.write_text(json.dumps(sorted(done | set(wanted))), encoding="utf-8")
    return _read_tables(run, root, uri)


@contextmanager
def _no_progress_bars() -> Iterator[None]:
    """Keep MLflow's download progress bars out of notebook outputs."""
    saved = os.environ.get(_PROGRESS_ENV)
    os.environ[_PROGRESS_ENV] = "false"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(_PROGRESS_ENV, None)
        else:
            os.environ[_PROGRESS_ENV] = saved


def _optional(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def _read_tables(run: Run, root: Path, uri: str) -> RunArtifacts:
    topics_dir = root / "topics"
    topics = pd.DataFrame(json.loads((topics_dir / "topics.json").read_text(encoding="utf-8")))
    figures_dir = topics_dir / "figures"
    return RunArtifacts(
        run=run,
        root=root,
        tracking_uri=uri,
        topics=topics,
        assignments=pd.read_parquet(topics_dir / "assignments.parquet"),
        units=pd.read_parquet(root / "data" / "units.parquet"),
        documents=pd.read_parquet(root / "data" / "documents.parquet"),
        doc_topic_mix=pd.read_csv(topics_dir / "doc_topic_mix.csv", index_col=0),
        figures={p.stem: p for p in sorted(figures_dir.glob("*.html"))},
        images={p.stem: p for p in sorted(figures_dir.glob("*.png"))},
        theme_predictions=_optional(root / "themes" / "predictions.parquet"),
        theme_profile=_optional(root / "themes" / "profile.csv"),
    )

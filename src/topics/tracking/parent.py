"""Link multirun jobs to their sweep's parent run through a file in the sweep dir.

Jobs may run in other processes (joblib, Ray launchers), so the parent run id travels as a
file, ``<hydra.sweep.dir>/.mlflow_parent_run_id``, not as process state.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from topics.tracking.settings import absolute_path

PARENT_RUN_FILE = ".mlflow_parent_run_id"
_RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")


def write_parent_run_id(sweep_dir: str | os.PathLike[str], run_id: str) -> Path:
    """Write ``run_id`` to the sweep dir's marker file (atomically) and return the file."""
    folder = Path(sweep_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / PARENT_RUN_FILE
    partial = folder / f"{PARENT_RUN_FILE}.{os.getpid()}.tmp"
    partial.write_text(run_id + "\n", encoding="utf-8")
    os.replace(partial, target)
    return target


def read_parent_run_id(sweep_dir: str | os.PathLike[str]) -> str | None:
    """Return the run id in the sweep dir's marker file, or ``None`` if there is none."""
    marker = Path(sweep_dir) / PARENT_RUN_FILE
    try:
        run_id = marker.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not _RUN_ID.match(run_id):
        raise ValueError(
            f"{marker} does not hold an MLflow run id (got {run_id[:80]!r}); delete the file "
            "and start the sweep again."
        )
    return run_id


def sweep_dir_of(cfg: DictConfig | Mapping[str, Any]) -> Path | None:
    """Return the absolute sweep dir when ``cfg`` (or the running Hydra job) is a multirun.

    The config's own ``hydra`` node is used when present (callbacks get the full config);
    otherwise Hydra's global config of the running job. ``None`` for single runs or no Hydra.
    """
    hydra_node = _hydra_node(cfg)
    if hydra_node is None:
        return None
    mode = str(OmegaConf.select(hydra_node, "mode", default=None) or "")
    sweep_dir = OmegaConf.select(hydra_node, "sweep.dir", default=None)
    if not mode.endswith("MULTIRUN") or not sweep_dir:
        return None
    cwd = OmegaConf.select(hydra_node, "runtime.cwd", default=None)
    path = Path(str(sweep_dir))
    if not path.is_absolute() and cwd:
        path = Path(str(cwd)) / path
    return absolute_path(path)


def _hydra_node(cfg: DictConfig | Mapping[str, Any]) -> DictConfig | None:
    from hydra.core.hydra_config import HydraConfig

    if isinstance(cfg, DictConfig) and "hydra" in cfg:
        return cfg.hydra
    if isinstance(cfg, Mapping) and isinstance(cfg.get("hydra"), Mapping):
        return OmegaConf.create(dict(cfg["hydra"]))
    if HydraConfig.initialized():
        return HydraConfig.get()
    return None


def find_parent_run_id(
    cfg_or_sweep_dir: DictConfig | Mapping[str, Any] | str | os.PathLike[str],
) -> str | None:
    """Return the parent run id of a multirun job, or ``None`` outside a sweep.

    Args:
        cfg_or_sweep_dir: A sweep dir, or a config (the job's, or Hydra's full config) whose
            Hydra settings say whether this is a multirun and where its sweep dir is.

    """
    if isinstance(cfg_or_sweep_dir, str | os.PathLike):
        return read_parent_run_id(cfg_or_sweep_dir)
    sweep_dir = sweep_dir_of(cfg_or_sweep_dir)
    return read_parent_run_id(sweep_dir) if sweep_dir is not None else None


def find_parent_run_id_above(job_dir: str | os.PathLike[str]) -> tuple[str, Path] | None:
    """Search ``job_dir`` and its ancestors for a marker file (jobs run without Hydra).

    Returns:
        ``(run_id, sweep_dir)`` of the nearest marker, or ``None``.

    """
    start = absolute_path(job_dir)
    for folder in (start, *start.parents):
        run_id = read_parent_run_id(folder)
        if run_id is not None:
            return run_id, folder
    return None

"""Readable MLflow run names, built from the overrides of a Hydra job.

A job run as ``topics-run embedding=minilm topic_model.min_cluster_size=5`` is named
``embedding=minilm·min_cluster_size=5``; a job without overrides is named ``default``. Overrides
that only say where things go or how much is printed (paths, tracking, Hydra's own) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath

from omegaconf import OmegaConf

#: config roots whose overrides change where or how a job records, not what it computes
NOT_IN_NAME = ("paths", "tracking", "hydra", "quiet", "figures", "run_name")
SEPARATOR = "·"
DEFAULT_NAME = "default"
#: MLflow's limit on run names is 250 characters; long names are cut with a visible marker
MAX_NAME = 250


def _part(override: str) -> str | None:
    """``topic_model.min_cluster_size=5`` -> ``min_cluster_size=5``; ``None`` when left out."""
    key, sep, value = override.lstrip("+~").partition("=")
    key = key.strip()
    root = key.split(".")[0].split("@")[0]
    if not key or root in NOT_IN_NAME:
        return None
    short = key.split(".")[-1]
    value = value.strip()
    if "/" in value and len(value) > 24:  # a path: its file name says enough
        value = PurePath(value).name
    return f"{short}{sep}{value}"


def run_name_from_overrides(overrides: Sequence[str]) -> str:
    """Name a run after its job's overrides (see the module docstring)."""
    parts = [p for p in map(_part, overrides) if p]
    name = SEPARATOR.join(parts) or DEFAULT_NAME
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def job_overrides() -> list[str]:
    """The task overrides of the running Hydra job (empty outside Hydra)."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return []
    node = OmegaConf.select(HydraConfig.get(), "overrides.task", default=None)
    return [str(o) for o in OmegaConf.to_container(node)] if node is not None else []  # type: ignore[union-attr]


def job_run_name(configured: str | None) -> str:
    """``configured`` when set, else the name built from the running job's overrides."""
    if configured:
        return str(configured)
    return run_name_from_overrides(job_overrides())

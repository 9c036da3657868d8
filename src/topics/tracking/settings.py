"""Read the ``tracking`` config group into a typed, validated settings object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from topics.data.types import InputError


@dataclass(frozen=True)
class TrackingSettings:
    """Settings of the tracking stage (config group ``tracking``).

    Attributes:
        enabled: ``False`` turns tracking into a no-op (quick debugging).
        uri: Tracking URI; ``None`` means a local SQLite store at ``db_path``.
        db_path: SQLite database file used when ``uri`` is ``None``.
        artifact_root: Local folder for artifacts of experiments created on a local store.
        experiment_name: MLflow experiment, from the root config's ``experiment_name`` (one
            per data set by default: ``topics-${data.name}``).
        check_timeout_s: Seconds to wait for a tracking server before failing.
        http_max_retries: Retries of MLflow's own HTTP client (unless set in the environment).
        http_timeout_s: Timeout of one MLflow HTTP request (unless set in the environment).

    """

    enabled: bool = True
    uri: str | None = None
    db_path: str = "mlruns/mlflow.db"
    artifact_root: str = "mlruns/artifacts"
    experiment_name: str = "topics"
    check_timeout_s: float = 5.0
    http_max_retries: int = 2
    http_timeout_s: float = 30.0

    @classmethod
    def from_config(cls, cfg: DictConfig | Mapping[str, Any]) -> TrackingSettings:
        """Build settings from the root config's ``tracking`` node (missing keys get defaults).

        Raises:
            InputError: When a key has the wrong type or an invalid value.

        """
        section = _tracking_section(cfg)
        if "experiment_name" in section:
            raise InputError(
                "config field tracking.experiment_name is no longer read: the experiment is the "
                "root `experiment_name`; move it there (e.g. `experiment_name=my-study`)."
            )
        known = {f.name for f in fields(cls)} - {"experiment_name"}
        values = {key: value for key, value in section.items() if key in known}
        name = _root_experiment_name(cfg)
        if name is not None:
            values["experiment_name"] = name
        settings = cls(**values)
        settings._validate()
        return settings

    def _validate(self) -> None:
        if not isinstance(self.enabled, bool):
            _bad("enabled", self.enabled, "true or false")
        for name in ("uri",):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                _bad(name, value, "a URI string or null")
        for name in ("db_path", "artifact_root"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                _bad(name, value, "a non-empty string")
        if not isinstance(self.experiment_name, str) or not self.experiment_name.strip():
            raise InputError(
                f"config field experiment_name must be a non-empty string, got "
                f"{self.experiment_name!r}; set it, e.g. `experiment_name=my-study`."
            )
        for name in ("check_timeout_s", "http_timeout_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                _bad(name, value, "a positive number of seconds")
        retries = self.http_max_retries
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            _bad("http_max_retries", retries, "a non-negative integer")


def _bad(key: str, value: Any, expected: str) -> None:
    raise InputError(
        f"config field tracking.{key} must be {expected}, got {value!r}; fix it in "
        f"configs/tracking/*.yaml or override it, e.g. `tracking.{key}=...`."
    )


def _root_experiment_name(cfg: DictConfig | Mapping[str, Any]) -> Any:
    if isinstance(cfg, DictConfig):
        return OmegaConf.select(cfg, "experiment_name", default=None)
    return cfg.get("experiment_name")


def _tracking_section(cfg: DictConfig | Mapping[str, Any]) -> dict[str, Any]:
    """Return the resolved ``tracking`` node of ``cfg`` as a plain dict (empty if absent)."""
    if isinstance(cfg, DictConfig):
        node = OmegaConf.select(cfg, "tracking")
        if node is None:
            return {}
        section = (
            OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node
        )
    else:
        section = cfg.get("tracking") or {}
    if not isinstance(section, Mapping):
        raise InputError(
            f"config field `tracking` must be a mapping, got {type(section).__name__}; "
            "select a tracking config, e.g. `tracking=sqlite`."
        )
    return dict(section)


def original_cwd() -> Path:
    """Return the directory the program was started from (Hydra's original cwd when running)."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        cwd = OmegaConf.select(HydraConfig.get(), "runtime.cwd")
        if cwd:
            return Path(cwd)
    return Path(os.getcwd())


def absolute_path(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` made absolute against the original working directory."""
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        candidate = original_cwd() / candidate
    return Path(os.path.normpath(candidate))

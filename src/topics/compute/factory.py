"""Build a compute backend from the ``compute`` Hydra config node."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from topics.compute.base import Compute
from topics.compute.local import LocalCompute
from topics.data.types import InputError

#: Config keys read by the factory itself (not passed to a backend).
COMMON_KEYS = {"name", "backend"}
#: Backend name -> config keys it accepts.
BACKEND_KEYS: dict[str, set[str]] = {
    "local": {"chunk_size"},
    "ray": {
        "address",
        "num_cpus",
        "num_workers",
        "num_cpus_per_worker",
        "chunk_size",
        "runtime_env",
        "temp_dir",
    },
}


def _plain(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``cfg`` as a plain dict (nested nodes too) with interpolations resolved."""
    from omegaconf import DictConfig, OmegaConf

    if isinstance(cfg, DictConfig):
        return dict(OmegaConf.to_container(cfg, resolve=True))  # type: ignore[arg-type]
    return dict(cfg)


def build_compute(cfg: Mapping[str, Any] | None) -> Compute:
    """Build the backend described by a ``compute`` config node (``None``: local).

    Args:
        cfg: The node, e.g. ``configs/compute/ray.yaml``: ``backend`` (``local`` or ``ray``)
            and that backend's settings.

    Returns:
        A ``LocalCompute`` or a ``RayCompute`` (which starts or joins Ray on first use).

    Raises:
        InputError: Unknown backend or key, or a bad value (the message names the key).
        ComputeError: ``backend: ray`` but the ``ray`` package is not installed.

    """
    if cfg is None:
        return LocalCompute()
    params = _plain(cfg)
    backend = params.get("backend")
    if backend not in BACKEND_KEYS:
        raise InputError(f"compute.backend is {backend!r}; use one of {sorted(BACKEND_KEYS)}")
    unknown = set(params) - COMMON_KEYS - BACKEND_KEYS[backend]
    if unknown:
        raise InputError(
            f"unknown key(s) {sorted(unknown)} in the compute config for backend '{backend}'; "
            f"allowed: {sorted(COMMON_KEYS | BACKEND_KEYS[backend])}"
        )
    kwargs = {k: v for k, v in params.items() if k in BACKEND_KEYS[backend]}
    if backend == "local":
        return LocalCompute(**kwargs)
    from topics.compute.ray_backend import RayCompute

    return RayCompute(**kwargs)

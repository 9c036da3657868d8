"""Build a compute backend from the ``compute`` Hydra config node."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from topics.backend_config import backend_kwargs, plain
from topics.compute.base import Compute
from topics.compute.local import LocalCompute
from topics.config_schema import schema_keys
from topics.config_schema.backends import LocalComputeConfig, RayComputeConfig

#: Config keys read by the factory itself (not passed to a backend).
COMMON_KEYS = {"name", "backend"}
#: Backend name -> config keys it accepts: those of its schema (topics.config_schema).
BACKEND_KEYS: dict[str, set[str]] = {
    "local": set(schema_keys(LocalComputeConfig)) - COMMON_KEYS,
    "ray": set(schema_keys(RayComputeConfig)) - COMMON_KEYS,
}


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
    params = plain(cfg)
    backend, kwargs = backend_kwargs("compute", params, BACKEND_KEYS, COMMON_KEYS)
    if backend == "local":
        return LocalCompute(**kwargs)
    from topics.compute.ray_backend import RayCompute

    return RayCompute(**kwargs)

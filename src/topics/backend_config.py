"""Validate a backend-keyed config node: pick the backend by name, check and pass it its own keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from topics.data.types import InputError


def plain(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``cfg`` as a plain dict (nested nodes too) with interpolations resolved."""
    from omegaconf import DictConfig, OmegaConf

    if isinstance(cfg, DictConfig):
        return dict(OmegaConf.to_container(cfg, resolve=True))  # type: ignore[arg-type]
    return dict(cfg)


def backend_kwargs(
    group: str,
    params: Mapping[str, Any],
    backend_keys: Mapping[str, set[str]],
    common_keys: set[str],
) -> tuple[str, dict[str, Any]]:
    """Return ``(backend, its keyword arguments)`` from a plain ``group`` config node.

    Raises:
        InputError: The backend is unknown, or the node has keys the backend does not take;
            the message names the group, the backend and the allowed keys.
    """
    backend = params.get("backend")
    if backend not in backend_keys:
        raise InputError(f"{group}.backend is {backend!r}; use one of {sorted(backend_keys)}")
    unknown = set(params) - common_keys - backend_keys[backend]
    if unknown:
        raise InputError(
            f"unknown key(s) {sorted(unknown)} in the {group} config for backend '{backend}'; "
            f"allowed: {sorted(common_keys | backend_keys[backend])}"
        )
    return backend, {k: v for k, v in params.items() if k in backend_keys[backend]}

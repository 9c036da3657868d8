"""Check a config node that picks a backend by name and passes the backend its own keys."""

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


def resolve_device(device: str) -> str:
    """Return a torch device string: ``auto`` becomes ``cuda`` when torch sees a GPU, else ``cpu``.

    Raises:
        InputError: ``device`` is not a non-empty string, or asks for CUDA that is absent.
    """
    import torch

    if not isinstance(device, str) or not device:
        raise InputError(f"device must be 'auto', 'cpu' or 'cuda[:i]', got {device!r}")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"device is {device!r} but torch sees no CUDA GPU; use device: auto")
    return device

"""Flatten a config into MLflow params, and make names and values fit MLflow's limits."""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

# Limits of MLflow's tracking API (mlflow.utils.validation; checked by a test).
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_KEY_LENGTH = 250
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000

# MLflow accepts alphanumerics, "_", "-", ".", " ", "/" (and ":" except on Windows).
_BAD_KEY_CHARS = re.compile(r"[^\w./\- ]")
_HASH_LEN = 8


def flatten_config(cfg: DictConfig | Mapping[str, Any], sep: str = ".") -> dict[str, str]:
    """Flatten a (resolved) config into MLflow params.

    Nested keys are joined with ``sep``; lists become JSON strings; ``None`` and booleans are
    written as in JSON/YAML (``null``, ``true``); empty mappings as ``{}``. Keys are sanitised
    to what MLflow accepts and values are cut to its length limit with a visible marker. A
    top-level ``hydra`` node is skipped (the ``.hydra/`` folder is logged as an artifact).

    Args:
        cfg: The job config; interpolations are resolved.
        sep: Separator between nested keys.

    Returns:
        A dict from param name to value, in config order.

    """
    container = _to_plain(cfg)
    container.pop("hydra", None)
    flat: dict[str, str] = {}
    for raw_key, value in _walk(container, (), sep):
        key = unique_key(sanitize_key(raw_key), raw_key, flat)
        flat[key] = truncate_value(format_value(value), MAX_PARAM_VALUE_LENGTH)
    return flat


def _to_plain(cfg: DictConfig | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(cfg, DictConfig):
        plain = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=False)
    else:
        plain = {key: _plain_value(value) for key, value in cfg.items()}
    assert isinstance(plain, dict)
    return plain


def _plain_value(value: Any) -> Any:
    if isinstance(value, DictConfig | ListConfig):
        return OmegaConf.to_container(value, resolve=True, throw_on_missing=False)
    return value


def _walk(node: Mapping[Any, Any], prefix: tuple[str, ...], sep: str):
    """Yield ``(joined_key, leaf_value)`` for every leaf of a nested mapping."""
    for key, value in node.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            yield from _walk(value, path, sep)
        else:
            yield sep.join(path), value


def format_value(value: Any) -> str:
    """Format one config value as a param string (JSON for lists, ``null``, ``true``...)."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | list | tuple | Mapping):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def truncate_value(value: str, limit: int) -> str:
    """Cut ``value`` to ``limit`` characters, ending it with a marker that says how much was cut."""
    if len(value) <= limit:
        return value
    marker = f"...[truncated {len(value)} chars]"
    return value[: limit - len(marker)] + marker


def sanitize_key(key: str) -> str:
    """Make ``key`` a valid MLflow param/metric/tag name.

    Characters MLflow rejects become ``_``; names that would resolve to another path
    (``a//b``, ``./a``, ``..``) are flattened; over-long names are cut and get a hash suffix.
    """
    clean = _BAD_KEY_CHARS.sub("_", key.strip()) or "_"
    if _resolves_elsewhere(clean):
        clean = clean.replace("/", "_")
        if _resolves_elsewhere(clean):
            clean = "_" + clean
    if len(clean) > MAX_KEY_LENGTH:
        clean = clean[: MAX_KEY_LENGTH - _HASH_LEN - 1] + "-" + _short_hash(key)
    return clean


def _resolves_elsewhere(name: str) -> bool:
    """Mirror MLflow's check that a name read as a file path stays the same name."""
    norm = posixpath.normpath(name)
    return norm != name or norm == "." or norm.startswith(("..", "/"))


def unique_key(clean: str, raw: str, taken: Mapping[str, Any]) -> str:
    """Return ``clean``, or a hash-suffixed variant when another raw key already took it."""
    if clean not in taken:
        return clean
    return clean[: MAX_KEY_LENGTH - _HASH_LEN - 1] + "-" + _short_hash(raw)


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:_HASH_LEN]

"""Save and load fitted theme classifiers as JSON + plain arrays, never as pickles.

Layout of a saved classifier folder::

    classifier.json   method, constructor arguments, taxonomy, thresholds, chosen hyperparameters,
                      and the fitted model's JSON state
    arrays.npz        numeric state (vectors, coefficients), read with ``allow_pickle=False``
    <...>-encoder/    a fine-tuned encoder, when there is one (safetensors + JSON)

The taxonomy travels in ``classifier.json``, so a loaded keyword model uses the keywords it was
fitted with, whatever the installed configs say.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from topics.classifier.methods.base import ThemeClassifier
from topics.data.types import InputError
from topics.embedding.base import Embedder
from topics.themes.taxonomy import Theme

META_FILE = "classifier.json"
ARRAYS_FILE = "arrays.npz"
#: Constructor arguments not stored: injected at load time.
_INJECTED = ("themes", "embedder", "tokenizer")


def _theme_json(theme: Theme | str) -> dict[str, Any] | str:
    return dataclasses.asdict(theme) if isinstance(theme, Theme) else str(theme)


def _theme_from_json(item: dict[str, Any] | str) -> Theme | str:
    if isinstance(item, str):
        return item
    return Theme(**{k: tuple(v) if isinstance(v, list) else v for k, v in item.items()})


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def save_classifier(clf: ThemeClassifier, folder: str | Path) -> Path:
    """Write a fitted classifier into ``folder`` (created); return the folder.

    Raises:
        RuntimeError: The classifier is not fitted.
        InputError: The method has no plain-array form.
    """
    if not hasattr(clf, "estimator_"):
        raise RuntimeError(f"classifier '{clf.method}' is not fitted; call fit() first")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    state = clf.estimator_._get_state(arrays, "estimator", out)
    params = {k: v for k, v in clf.get_params().items() if k not in _INJECTED}
    meta = {
        "format": 1,
        "method": clf.method,
        "params": _json_value(params),
        "themes": [_theme_json(t) for t in clf.themes],
        "classes": list(clf.classes_),
        "thresholds": [float(t) for t in clf.thresholds_],
        "best_params": _json_value(dict(clf.best_params_)),
        "state": _json_value(state),
    }
    (out / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    np.savez(out / ARRAYS_FILE, **arrays)
    return out


def load_classifier(
    folder: str | Path,
    tokenizer: Callable[[str], list[str]] | None = None,
    embedder: Embedder | None = None,
) -> ThemeClassifier:
    """Rebuild a classifier written by :func:`save_classifier` (no code is unpickled).

    Args:
        folder: The saved folder.
        tokenizer: Given to methods that take one.
        embedder: Given to methods that take one (it must be the encoder used at fit time).

    Raises:
        InputError: Missing files or an unknown method.
    """
    from topics.classifier.methods.registry import METHODS

    root = Path(folder)
    if not (root / META_FILE).is_file() or not (root / ARRAYS_FILE).is_file():
        raise InputError(f"{root}: not a saved classifier (needs {META_FILE} and {ARRAYS_FILE})")
    meta = json.loads((root / META_FILE).read_text(encoding="utf-8"))
    if meta.get("method") not in METHODS:
        raise InputError(f"{root / META_FILE}: unknown method {meta.get('method')!r}")
    cls = METHODS[meta["method"]]
    accepted = set(list(inspect.signature(cls.__init__).parameters)[1:])
    kwargs: dict[str, Any] = dict(meta["params"])
    if "tokenizer" in accepted:
        kwargs["tokenizer"] = tokenizer
    if "embedder" in accepted:
        kwargs["embedder"] = embedder
    clf = cls(themes=[_theme_from_json(t) for t in meta["themes"]], **kwargs)
    with np.load(root / ARRAYS_FILE, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    clf.classes_ = list(meta["classes"])
    clf.thresholds_ = np.asarray(meta["thresholds"], dtype=float)
    clf.best_params_ = dict(meta["best_params"])
    estimator = clf.spawn(**clf.best_params_)
    estimator._set_state(meta["state"], arrays, "estimator", root)
    clf.estimator_ = estimator
    return clf

"""A disk cache for the dimension reduction of the units (UMAP is the slow step of a warm run).

:class:`CachedReducer` wraps a seeded reducer. Its ``fit_transform`` looks up the reduced
training vectors under a key made of the reducer's class and parameters, the library version
and a SHA-256 of the input; on a hit nothing is fitted. A sweep over clustering settings, a
rerun and the stability refits with a seed already seen thus reduce once. New points
(``transform`` of other vectors) need the fitted reducer: after a hit it is fitted on the
training vectors when first needed. Entries are ``.npy`` files written atomically; an unreadable
entry is recomputed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

log = logging.getLogger(__name__)

#: Bump when the way entries are computed changes.
CACHE_VERSION = 1


def array_digest(array: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and bytes."""
    data = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{data.dtype.str}{data.shape}".encode())
    digest.update(memoryview(data).cast("B"))
    return digest.hexdigest()


def _library_version(estimator: Any) -> str:
    package = type(estimator).__module__.split(".")[0]
    try:
        from importlib.metadata import version

        return f"{package}=={version('umap-learn' if package == 'umap' else package)}"
    except Exception:  # noqa: BLE001 - a version we cannot read just joins the key as unknown
        return f"{package}==?"


def reducer_key(reducer: Any, x_digest: str, y: Any = None) -> str:
    """Cache key of fitting ``reducer`` on the input with digest ``x_digest`` (and ``y``)."""
    params = {k: repr(v) for k, v in sorted(reducer.get_params(deep=False).items())}
    parts = {
        "v": CACHE_VERSION,
        "class": f"{type(reducer).__module__}.{type(reducer).__qualname__}",
        "library": _library_version(reducer),
        "params": params,
        "x": x_digest,
        "y": None if y is None else array_digest(np.asarray(y)),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class CachedReducer(TransformerMixin, BaseEstimator):
    """Reducer wrapper whose training reduction is read from / written to ``cache_dir``.

    Args:
        reducer: A seeded sklearn-style reducer (UMAP, PCA) with ``fit`` and ``transform``.
        cache_dir: Folder of the entries; ``None`` disables the cache.

    Attributes:
        embedding_: The reduced training vectors.
        cache_hit_: Whether they came from the cache.
        key_: Cache key of the fit.
    """

    def __init__(self, reducer: Any, cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.reducer = reducer
        self.cache_dir = cache_dir

    def _path(self, key: str) -> Path | None:
        return None if self.cache_dir is None else Path(self.cache_dir) / f"{key}.npy"

    def _load(self, path: Path | None) -> np.ndarray | None:
        if path is None or not path.is_file():
            return None
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            log.warning("reduction cache: unreadable entry %s (%s); recomputing", path, exc)
            return None

    def _store(self, path: Path | None, reduced: np.ndarray) -> None:
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                np.save(handle, reduced, allow_pickle=False)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("reduction cache: could not write %s: %s", path, exc)

    def fit_transform(self, X: np.ndarray, y: Any = None, **fit_params: Any) -> np.ndarray:  # noqa: N803
        """Reduce the training vectors ``X`` (from the cache when this fit was done before)."""
        x_digest = array_digest(np.asarray(X))
        self.key_ = reducer_key(self.reducer, x_digest, y)
        self._x_digest = x_digest
        path = self._path(self.key_)
        cached = self._load(path)
        self.cache_hit_ = cached is not None and len(cached) == len(X)
        if self.cache_hit_:
            log.info("reduction cache: hit (%d units), %s", len(X), type(self.reducer).__name__)
            self._train, self._train_y, self._reducer_fitted = X, y, False
            self.embedding_ = cached
            return cached
        reduced = np.asarray(self.reducer.fit_transform(X, y))
        self._train, self._train_y, self._reducer_fitted = None, None, True
        self.embedding_ = reduced
        self._store(path, reduced)
        return reduced

    def fit(self, X: np.ndarray, y: Any = None) -> CachedReducer:  # noqa: N803
        """Fit (or look up) the reduction of ``X``; returns self."""
        self.fit_transform(X, y)
        return self

    def ensure_fitted(self) -> CachedReducer:
        """Fit the wrapped reducer on the training vectors if a cache hit skipped it."""
        if not getattr(self, "_reducer_fitted", False):
            if getattr(self, "_train", None) is None:
                raise ValueError("CachedReducer is not fitted; call fit or fit_transform first")
            log.info("reduction cache: fitting %s for new points", type(self.reducer).__name__)
            self.reducer.fit(self._train, self._train_y)
            self._train, self._train_y, self._reducer_fitted = None, None, True
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        """Reduce ``X``: the training reduction for the training vectors, else the reducer's."""
        if not hasattr(self, "embedding_"):
            raise ValueError("CachedReducer is not fitted; call fit or fit_transform first")
        if len(X) == len(self.embedding_) and array_digest(np.asarray(X)) == self._x_digest:
            return self.embedding_
        return self.ensure_fitted().reducer.transform(X)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the training vectors (fit the reducer first when they are needed)."""
        state = self.__dict__.copy()
        if state.get("_train") is not None:
            self.ensure_fitted()
            state = self.__dict__.copy()
        state.pop("_train", None)
        state.pop("_train_y", None)
        return state

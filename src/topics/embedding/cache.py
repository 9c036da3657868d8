"""Disk cache of embeddings keyed by (embedder identity, sha256 of the text).

Layout: ``<root>/<sha256(identity)[:32]>/`` holds ``identity.txt`` and immutable shards. A shard
is two ``.npy`` files named by the sha256 of its content: ``<h>.vecs.npy`` (float32 rows) and
``<h>.keys.npy`` (the text keys, the shard's index). Every file is written to a unique temporary
file in the same folder, fsynced and moved into place with ``os.replace``; the keys file goes
last and commits the shard. Readers only look at committed ``*.keys.npy`` files, so stray
temporary files from an interrupted writer are ignored, and two processes writing at once never
touch each other's files. Vectors are memory-mapped, so a big cache need not sit in memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from topics.compute import DEFAULT_CHUNK_SIZE, Compute, Constant, LocalCompute, chunked
from topics.embedding.base import Embedder, check_texts, empty_vectors
from topics.hashing import text_key

logger = logging.getLogger(__name__)

KEYS_SUFFIX = ".keys.npy"
VECS_SUFFIX = ".vecs.npy"
TMP_PREFIX = ".tmp-"
IDENTITY_FILE = "identity.txt"
_KEY_RE = re.compile(r"^[0-9a-f]{64}$")


class CorruptShardError(ValueError):
    """A shard file cannot be read back as written."""


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write a file so that readers see either nothing or the complete file.

    ``write`` fills a uniquely named temporary file in the target folder, which is then fsynced
    and renamed onto ``path``. On any error the temporary file is removed and the error re-raised.
    """
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename durable; not possible on every OS
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@dataclass
class _Index:
    """What one identity's folder holds, as far as this process has read it."""

    directory: Path
    rows: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> (shard no, row)
    shards: list[np.ndarray] = field(default_factory=list)
    names: list[Path] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    dim: int | None = None
    usable: bool = True


def _open_shard(keys_path: Path, dim: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Load a shard's keys and memory-map its vectors, checking they agree."""
    vecs_path = keys_path.with_name(keys_path.name[: -len(KEYS_SUFFIX)] + VECS_SUFFIX)
    try:
        keys = np.load(keys_path, allow_pickle=False)
        vectors = np.load(vecs_path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise
    except (ValueError, EOFError, OSError) as exc:
        raise CorruptShardError(f"unreadable ({type(exc).__name__}: {exc})") from exc
    if keys.ndim != 1 or keys.dtype.kind != "S":
        raise CorruptShardError(f"keys have shape {keys.shape} and dtype {keys.dtype}")
    if vectors.ndim != 2 or vectors.dtype != np.float32 or len(vectors) != len(keys):
        raise CorruptShardError(
            f"vectors have shape {vectors.shape} and dtype {vectors.dtype} for {len(keys)} keys"
        )
    if dim is not None and vectors.shape[1] != dim:
        raise CorruptShardError(f"vectors have {vectors.shape[1]} dims, the cache has {dim}")
    return keys, vectors


class EmbeddingCache:
    """Sharded on-disk store of vectors per embedder identity (see the module docstring).

    Args:
        root: Folder of the cache (``embedding.cache_dir``); created on the first write.

    Attributes:
        hits: Keys found so far (each key counted once per ``get`` call).
        misses: Keys not found so far.
        written: Vectors written so far.
        corrupt: Shard files found corrupt and set aside (renamed to ``*.corrupt``).

    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.hits = 0
        self.misses = 0
        self.written = 0
        self.corrupt: list[Path] = []
        self._indexes: dict[str, _Index] = {}

    @property
    def stats(self) -> dict[str, float]:
        """Return ``hits``, ``misses``, ``hit_ratio`` (0.0 before any lookup) and ``written``."""
        total = self.hits + self.misses
        return {
            "hits": self.hits,
            "misses": self.misses,
            "hit_ratio": self.hits / total if total else 0.0,
            "written": self.written,
        }

    def directory(self, identity: str) -> Path:
        """Return the folder holding the shards of ``identity``."""
        return self.root / hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]

    def _index(self, identity: str) -> _Index:
        index = self._indexes.get(identity)
        if index is None:
            index = _Index(self.directory(identity))
            id_file = index.directory / IDENTITY_FILE
            if id_file.is_file() and id_file.read_text(encoding="utf-8") != identity:
                logger.warning("embedding cache %s belongs to another identity; not used", id_file)
                index.usable = False
            self._indexes[identity] = index
            self._refresh(index)
        return index

    def _refresh(self, index: _Index) -> None:
        """Read the shards committed since the last look (by this or another process)."""
        if not index.usable or not index.directory.is_dir():
            return
        for keys_path in sorted(index.directory.glob("*" + KEYS_SUFFIX)):
            if keys_path.name in index.seen or keys_path.name.startswith(TMP_PREFIX):
                continue
            index.seen.add(keys_path.name)
            try:
                keys, vectors = _open_shard(keys_path, index.dim)
            except FileNotFoundError:  # removed meanwhile (e.g. by compact): not an error
                continue
            except CorruptShardError as exc:
                self._set_aside(keys_path, str(exc))
                continue
            self._add_shard(index, keys_path, keys, vectors)

    def _add_shard(self, index: _Index, path: Path, keys: np.ndarray, vectors: np.ndarray) -> None:
        shard_no = len(index.shards)
        index.shards.append(vectors)
        index.names.append(path)
        index.dim = int(vectors.shape[1])
        for row, key in enumerate(keys.tolist()):
            index.rows.setdefault(key.decode("ascii"), (shard_no, row))

    def _set_aside(self, keys_path: Path, reason: str) -> None:
        """Report a corrupt shard with its path and rename its files so they are not read again."""
        logger.warning(
            "embedding cache shard %s is corrupt (%s); skipped, its texts will be re-embedded",
            keys_path,
            reason,
        )
        self.corrupt.append(keys_path)
        stem = keys_path.name[: -len(KEYS_SUFFIX)]
        for suffix in (KEYS_SUFFIX, VECS_SUFFIX):
            part = keys_path.with_name(stem + suffix)
            with contextlib.suppress(OSError):
                os.replace(part, part.with_name(part.name + ".corrupt"))

    def _drop_shard(self, index: _Index, shard_no: int) -> None:
        """Forget a shard found corrupt on read; its keys become misses."""
        self._set_aside(index.names[shard_no], "non-finite vectors")
        index.rows = {k: v for k, v in index.rows.items() if v[0] != shard_no}

    def _gather(self, index: _Index, keys: list[str]) -> dict[str, np.ndarray]:
        """Read the vectors of the cached ``keys``, one fancy-indexed read per shard."""
        groups: dict[int, list[tuple[str, int]]] = {}
        for key in keys:
            if key in index.rows:
                shard_no, row = index.rows[key]
                groups.setdefault(shard_no, []).append((key, row))
        found: dict[str, np.ndarray] = {}
        for shard_no, pairs in groups.items():
            block = np.array(index.shards[shard_no][[row for _, row in pairs]], dtype=np.float32)
            if not np.isfinite(block).all():
                self._drop_shard(index, shard_no)
                continue
            found.update((key, vec) for (key, _), vec in zip(pairs, block, strict=True))
        return found

    def get(self, identity: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Return the cached vectors among ``keys`` (hits only), counting hits and misses."""
        index = self._index(identity)
        wanted = list(dict.fromkeys(keys))
        if any(k not in index.rows for k in wanted):
            self._refresh(index)
        found = self._gather(index, wanted)
        self.hits += len(found)
        self.misses += len(wanted) - len(found)
        return found

    def put(self, identity: str, keys: Sequence[str], vectors: np.ndarray) -> Path | None:
        """Store ``vectors`` (one row per key) as a new shard and return its keys file.

        Raises:
            ValueError: Keys are not sha256 hex strings, or the vectors have a wrong shape,
                are not finite, or differ in size from the vectors already cached.
            OSError: The shard could not be written (nothing partial is left behind).

        """
        index = self._index(identity)
        arr = np.ascontiguousarray(vectors, dtype=np.float32)
        if arr.ndim != 2 or len(arr) != len(keys):
            raise ValueError(f"expected {len(keys)} vectors as a 2-D array, got shape {arr.shape}")
        if not all(isinstance(k, str) and _KEY_RE.match(k) for k in keys):
            raise ValueError("cache keys must be sha256 hex strings; use text_key(text)")
        if not np.isfinite(arr).all():
            raise ValueError("refusing to cache non-finite vectors (NaN or inf)")
        if index.dim is not None and arr.shape[1] != index.dim:
            raise ValueError(
                f"vectors have {arr.shape[1]} dims, the cache for this identity has "
                f"{index.dim}: the identity must change when the vector size does"
            )
        if not keys or not index.usable:
            return None
        key_arr = np.array(keys, dtype="S64")
        name = hashlib.sha256(key_arr.tobytes() + arr.tobytes()).hexdigest()[:32]
        index.directory.mkdir(parents=True, exist_ok=True)
        id_file = index.directory / IDENTITY_FILE
        if not id_file.exists():
            atomic_write(id_file, lambda fh: fh.write(identity.encode("utf-8")))
        keys_path = index.directory / (name + KEYS_SUFFIX)
        atomic_write(index.directory / (name + VECS_SUFFIX), lambda fh: np.save(fh, arr))
        atomic_write(keys_path, lambda fh: np.save(fh, key_arr))
        if keys_path.name not in index.seen:
            index.seen.add(keys_path.name)
            self._add_shard(index, keys_path, *_open_shard(keys_path, index.dim))
        self.written += len(keys)
        return keys_path

    def compact(self, identity: str) -> Path | None:
        """Merge all shards of ``identity`` into one; return the new keys file (None if empty)."""
        index = self._index(identity)
        self._refresh(index)
        if len(index.shards) < 2:
            return index.names[0] if index.names else None
        keys = list(index.rows)
        found = self._gather(index, keys)
        keys = [k for k in keys if k in found]
        merged = self.put(identity, keys, np.stack([found[k] for k in keys]))
        for old in index.names:
            if old != merged:
                for part in (old, old.with_name(old.name[: -len(KEYS_SUFFIX)] + VECS_SUFFIX)):
                    with contextlib.suppress(OSError):
                        part.unlink()
        del self._indexes[identity]
        return merged


def embed_chunk(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Embed one chunk as float32 (the ``fn`` given to ``Compute.map_chunks``)."""
    return np.asarray(embedder.embed(texts), dtype=np.float32)


class CachedEmbedder:
    """Wrap an embedder so that each (identity, text) is embedded at most once, ever.

    The distinct texts not cached yet are embedded in chunks of ``compute.chunk_size`` through
    ``compute.map_chunks`` (e.g. on a Ray cluster), and each chunk is written to the cache as it
    arrives, so an interrupted run keeps the chunks it finished.

    Args:
        embedder: Any ``Embedder``; one with ``fit``/``fitted`` is fitted on the first batch
            and always embeds in this process.
        cache: Where vectors are stored; ``None`` = no disk cache (texts are still embedded
            once per call, in chunks, through ``compute``).
        compute: A :mod:`topics.compute` backend; ``None`` = this process, chunks of
            ``DEFAULT_CHUNK_SIZE``.
        setup: Picklable zero-argument callable that builds the embedder on a worker (used with
            ``compute``); ``None`` = ship ``embedder`` itself.

    """

    def __init__(
        self,
        embedder: Embedder,
        cache: EmbeddingCache | None,
        compute: Compute | None = None,
        setup: Callable[[], Embedder] | None = None,
    ) -> None:
        self.embedder = embedder
        self.cache = cache
        self.compute = compute
        self.setup = setup

    @property
    def name(self) -> str:
        """The wrapped embedder's name."""
        return self.embedder.name

    def identity(self) -> str:
        """Return the wrapped embedder's identity."""
        return self.embedder.identity()

    @property
    def dim(self) -> int:
        """The wrapped embedder's vector size."""
        return self.embedder.dim

    def _fit_if_needed(self, items: list[str]) -> bool:
        """Fit a fittable embedder that is not fitted yet; return whether it is fittable."""
        fit = getattr(self.embedder, "fit", None)
        if not callable(fit):
            return False
        if not getattr(self.embedder, "fitted", True):
            fit(items)
        return True

    def _chunks(self, texts: list[str], local: bool) -> Iterator[tuple[int, int, np.ndarray]]:
        """Yield ``(start, stop, vectors)`` per chunk of ``texts``, in order, as chunks finish."""
        compute = self.compute
        if compute is None or local:
            size = compute.chunk_size if compute is not None else DEFAULT_CHUNK_SIZE
            compute = LocalCompute(chunk_size=size)
        setup = self.setup if self.setup is not None and compute is self.compute else None
        parts = chunked(texts, compute.chunk_size)
        results = compute.map_chunks(setup or Constant(self.embedder), embed_chunk, parts)
        start = 0
        for part, vectors in zip(parts, results, strict=True):
            yield start, start + len(part), vectors
            start += len(part)

    def _store(self, identity: str, keys: list[str], vectors: np.ndarray) -> bool:
        """Write one chunk to the cache; on ``OSError`` warn and return False."""
        if self.cache is None:
            return False
        try:
            self.cache.put(identity, keys, vectors)
        except OSError as exc:
            logger.warning(
                "could not write to the embedding cache %s: %s; the rest of this batch is not "
                "cached",
                self.cache.root,
                exc,
            )
            return False
        return True

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return vectors for ``texts``, embedding only the distinct texts not cached yet."""
        items = check_texts(texts)
        fittable = self._fit_if_needed(items)
        if not items:
            return empty_vectors(self.embedder.dim)
        keys = [text_key(t) for t in items]
        text_of = dict(zip(keys, items, strict=True))
        identity = self.embedder.identity() if self.cache is not None else ""
        found = self.cache.get(identity, list(text_of)) if self.cache is not None else {}
        missing = [k for k in text_of if k not in found]
        writing = self.cache is not None
        for start, stop, vectors in self._chunks([text_of[k] for k in missing], fittable):
            chunk_keys = missing[start:stop]
            if len(vectors) != len(chunk_keys):
                raise ValueError(
                    f"embedder {self.embedder.name!r} returned {len(vectors)} vectors for "
                    f"{len(chunk_keys)} texts"
                )
            writing = writing and self._store(identity, chunk_keys, vectors)
            found.update(zip(chunk_keys, vectors, strict=True))
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

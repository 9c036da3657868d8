"""Cache of tokenized texts, keyed by tokenizer fingerprint and text hash, optionally on disk."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from topics.data.types import InputError
from topics.hashing import text_key

_FORMAT = {"format": "topics-token-cache", "version": 1}


class TokenCache:
    """Tokens computed once per text, shared across calls and (with a path) across runs.

    Entries are keyed by ``(tokenizer fingerprint, text_key(text))``, so tokenizers with different
    settings never see each other's tokens and one file can serve several of them. The file is
    JSON Lines: a header line, then one ``{"fp", "key", "tokens"}`` object per entry. It is read
    when the cache is created and written only by :meth:`save`, atomically (temporary file in the
    same folder, then ``os.replace``); concurrent writers do not merge, the last save wins.

    Args:
        path: JSONL file to load from (if it exists) and save to; ``None`` keeps it in memory.

    Attributes:
        hits: Lookups answered from the cache.
        misses: Lookups that found nothing.

    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.hits = 0
        self.misses = 0
        self._entries: dict[tuple[str, str], tuple[str, ...]] = {}
        if self.path is not None and self.path.exists():
            self._load(self.path)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, fingerprint: str, text: str) -> list[str] | None:
        """Return the cached tokens of ``text`` for a tokenizer, or ``None`` (a miss)."""
        tokens = self._entries.get((fingerprint, text_key(text)))
        if tokens is None:
            self.misses += 1
            return None
        self.hits += 1
        return list(tokens)

    def put(self, fingerprint: str, text: str, tokens: Sequence[str]) -> None:
        """Store the tokens of ``text`` produced by the tokenizer with ``fingerprint``."""
        self._entries[(fingerprint, text_key(text))] = tuple(tokens)

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write all entries to ``path`` (default: the cache's own path) atomically.

        Raises:
            ValueError: Neither ``path`` nor the cache's path is set.

        """
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("TokenCache.save: give a path; this cache was created without one")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(_FORMAT) + "\n")
                for (fingerprint, key), tokens in self._entries.items():
                    record = {"fp": fingerprint, "key": key, "tokens": list(tokens)}
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return target

    def _load(self, path: Path) -> None:
        """Read entries from a JSONL file written by :meth:`save`."""
        hint = "delete the file to rebuild the cache"
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise InputError(f"{path}:{number}: not valid JSON ({err}); {hint}") from None
                if number == 1:
                    if record != _FORMAT:
                        raise InputError(
                            f"{path}:1: not a token cache header ({line.strip()[:80]!r}); {hint}"
                        )
                    continue
                if not _is_entry(record):
                    raise InputError(f"{path}:{number}: expected fp, key and tokens; {hint}")
                self._entries[(record["fp"], record["key"])] = tuple(record["tokens"])


def _is_entry(record: object) -> bool:
    """Whether a decoded JSON value is a well-formed cache entry."""
    return (
        isinstance(record, dict)
        and isinstance(record.get("fp"), str)
        and isinstance(record.get("key"), str)
        and isinstance(record.get("tokens"), list)
        and all(isinstance(token, str) for token in record["tokens"])
    )

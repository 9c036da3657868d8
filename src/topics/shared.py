"""Work that the jobs of one multirun may share: the corpus read, its units and their tokens.

Hydra's basic launcher runs the jobs of a sweep one after another in one process. Jobs that
differ only downstream (clustering settings, say) would otherwise re-read, re-clean and
re-tokenize the same corpus. :func:`recall` keeps the last value of each kind under a key made of
everything it depends on (resolved config, input files' sizes and modification times), so a job
reuses it only when its inputs are exactly the same. One value per kind is kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

_LAST: dict[str, tuple[str, Any]] = {}


def file_stamp(paths: Iterable[str | os.PathLike[str] | None]) -> list[list[Any]]:
    """Size and modification time of each file (of each file under each folder)."""
    stamp: list[list[Any]] = []
    for path in paths:
        if path is None:
            continue
        root = Path(path)
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for file in files:
            try:
                info = file.stat()
                stamp.append([str(file), info.st_size, info.st_mtime_ns])
            except OSError:
                stamp.append([str(file), None, None])
    return stamp


def make_key(*parts: Any) -> str:
    """A digest of JSON-serialisable parts."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def recall(kind: str, key: str, compute: Callable[[], T]) -> tuple[T, bool]:
    """Return ``(value, reused)``: the last ``kind`` value if its key is ``key``, else a new one."""
    last = _LAST.get(kind)
    if last is not None and last[0] == key:
        log.info("%s: reused from the previous job of this process", kind)
        return last[1], True
    value = compute()
    _LAST[kind] = (key, value)
    return value, False


def forget() -> None:
    """Drop every kept value."""
    _LAST.clear()

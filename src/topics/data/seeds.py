"""The default corpus: the seed articles listed in ``seeds/manifest.jsonl``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from topics.data.types import Document, InputError
from topics.paths import seeds_dir

_REQUIRED = ("id", "file")


def read_manifest_corpus(folder: str | Path | None = None) -> Iterator[Document]:
    """Yield the documents of a manifest folder (the seed corpus by default).

    Args:
        folder: A folder holding ``manifest.jsonl`` and the files it lists; ``None`` for the
            project's bundled seed corpus.

    Raises:
        InputError: When the manifest is missing, malformed or names a missing file.
    """
    from topics.data.encoding import read_text

    root = Path(folder) if folder is not None else seeds_dir()
    manifest = root / "manifest.jsonl"
    if not manifest.is_file():
        raise InputError(
            f"{manifest}: no manifest; a manifest corpus needs one JSON line per file."
        )
    with manifest.open(encoding="utf-8") as fh:
        for no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(
                    f"{manifest}:{no}: not valid JSON ({err.msg}); fix that line."
                ) from err
            missing = [k for k in _REQUIRED if not entry.get(k)]
            if missing:
                raise InputError(f"{manifest}:{no}: missing field(s) {missing}; add them.")
            path = root / entry["file"]
            if not path.is_file():
                raise InputError(
                    f"{manifest}:{no}: lists {entry['file']!r}, which is not in {root}."
                )
            text, encoding = read_text(path)
            extra = {
                k: v
                for k, v in entry.items()
                if k not in {"id", "file", "title", "date", "language", "label"}
            }
            yield Document(
                doc_id=str(entry["id"]),
                text=text,
                title=entry.get("title"),
                date=entry.get("date"),
                language=entry.get("language"),
                label=entry.get("label"),
                source=str(path),
                meta={"encoding": encoding, **extra},
            )

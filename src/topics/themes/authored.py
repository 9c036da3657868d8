"""The authored theme training set: examples written from the taxonomy, not from the seeds.

Every ``seeds/themes/*.jsonl`` file holds one example per line::

    {"id": "a-0001", "text": "...", "themes": ["compute"], "script": "zh-Hant",
     "institution": "bank", "length": "sentence", "source": "authored"}

``themes`` may be empty (an on-domain text that carries none of the themes). How the set was made
and its limits are in ``seeds/themes/README.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from topics.data.types import InputError
from topics.paths import seeds_dir
from topics.themes.jsonl import check_theme_list, iter_json_objects, multi_hot, require_fields
from topics.themes.taxonomy import load_taxonomy

AUTHORED_COLUMNS = ["id", "text", "themes", "script", "institution", "length", "source", "file"]
SCRIPTS = ("zh-Hans", "zh-Hant", "en")
INSTITUTIONS = ("bank", "insurer", "securities", "regulator", "fintech", "other")
LENGTHS = ("headline", "sentence", "paragraph")
SOURCE = "authored"
_REQUIRED = ("id", "text", "themes", "script", "institution", "length", "source")
_CHOICES = {"script": SCRIPTS, "institution": INSTITUTIONS, "length": LENGTHS, "source": (SOURCE,)}


def default_authored_dir() -> Path:
    """Return the bundled folder ``seeds/themes`` of the authored set."""
    return seeds_dir() / "themes"


def default_authored_paths() -> list[Path]:
    """Return every ``*.jsonl`` file of the bundled authored set, sorted by name."""
    return sorted(default_authored_dir().glob("*.jsonl"))


def _parse_record(rec: dict, where: str, known: set[str], file: str) -> dict:
    """Validate one authored record and return it with the authored columns."""
    require_fields(rec, where, _REQUIRED)
    for key, allowed in _CHOICES.items():
        if rec[key] not in allowed:
            raise InputError(f"{where}: '{key}' is {rec[key]!r}; use one of {list(allowed)}.")
    text = rec["text"]
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: 'text' must be a non-empty string.")
    return {
        "id": str(rec["id"]),
        "text": text,
        "themes": check_theme_list(rec["themes"], where, known),
        "script": rec["script"],
        "institution": rec["institution"],
        "length": rec["length"],
        "source": rec["source"],
        "file": file,
    }


def load_authored(
    paths: Sequence[Path] | None = None, theme_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """Read and validate the authored theme examples.

    Args:
        paths: The ``.jsonl`` files; ``None`` for every ``seeds/themes/*.jsonl`` of the bundle.
        theme_ids: Allowed theme ids; ``None`` for the ids of the default taxonomy.

    Returns:
        One row per example, files in the given order and lines in file order, with columns
        ``id``, ``text``, ``themes`` (list of ids, possibly empty), ``script``, ``institution``,
        ``length``, ``source`` and ``file`` (the file's name).

    Raises:
        InputError: No file, a missing file, bad JSON, a missing field, a value outside its
            allowed set, an unknown or repeated theme id, or an id used twice (across files
            too); the message names ``file:line`` and the key.
    """
    files = [Path(p) for p in paths] if paths is not None else default_authored_paths()
    if not files:
        raise InputError(f"{default_authored_dir()}: no authored *.jsonl files found.")
    known = set(theme_ids) if theme_ids is not None else {t.id for t in load_taxonomy()}
    rows: list[dict] = []
    first_seen: dict[str, str] = {}
    for path in files:
        if not path.is_file():
            raise InputError(f"{path}: authored example file not found.")
        for _, where, raw in iter_json_objects(path):
            rec = _parse_record(raw, where, known, path.name)
            if rec["id"] in first_seen:
                raise InputError(
                    f"{where}: 'id' {rec['id']} is already used at {first_seen[rec['id']]}; "
                    "give every example its own id."
                )
            first_seen[rec["id"]] = where
            rows.append(rec)
    return pd.DataFrame(rows, columns=AUTHORED_COLUMNS)


def authored_label_matrix(frame: pd.DataFrame, theme_ids: Sequence[str]) -> np.ndarray:
    """Return the multi-hot labels of authored examples.

    Args:
        frame: Output of :func:`load_authored` (or a row subset of it).
        theme_ids: Column order of the result.

    Returns:
        ``int8`` array of shape ``(len(frame), len(theme_ids))``; row ``i`` is ``frame.iloc[i]``.

    Raises:
        InputError: An example carries a theme that is not among ``theme_ids``.
    """
    return multi_hot(list(frame["themes"]), list(frame["id"]), theme_ids, "example")

"""JSON-lines checks shared by the gold labels and the authored theme set."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

import numpy as np

from topics.data.types import InputError


def iter_json_objects(path: Path) -> Iterator[tuple[int, str, dict]]:
    """Yield ``(line number, "file:line", record)`` for every non-blank line of ``path``.

    Raises:
        InputError: A line is not valid JSON or not a JSON object; the message names
            ``file:line``.
    """
    with path.open(encoding="utf-8") as fh:
        for no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}:{no}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"{where}: not valid JSON ({err.msg}); fix that line.") from err
            if not isinstance(rec, dict):
                raise InputError(f"{where}: expected a JSON object, got {type(rec).__name__}.")
            yield no, where, rec


def require_fields(rec: dict, where: str, required: Collection[str]) -> None:
    """Raise when any of ``required`` is missing or null in ``rec``."""
    missing = [k for k in required if k not in rec or rec[k] is None]
    if missing:
        raise InputError(f"{where}: missing field(s) {missing}; every line needs {list(required)}.")


def check_theme_list(themes: object, where: str, known: Collection[str]) -> list[str]:
    """Return ``themes`` as a list of known, distinct theme ids, or raise naming ``where``."""
    if not isinstance(themes, list) or not all(isinstance(t, str) for t in themes):
        raise InputError(f"{where}: 'themes' must be a list of theme ids (may be empty).")
    unknown = [t for t in themes if t not in known]
    if unknown:
        raise InputError(
            f"{where}: unknown theme id(s) {unknown}; use ids of the taxonomy: {sorted(known)}."
        )
    if len(set(themes)) != len(themes):
        raise InputError(f"{where}: theme ids repeat in {themes}; list each theme once.")
    return list(themes)


def multi_hot(
    theme_lists: Sequence[Sequence[str]], names: Sequence[str], theme_ids: Sequence[str], noun: str
) -> np.ndarray:
    """Return the ``int8`` multi-hot matrix of ``theme_lists`` with columns ``theme_ids``.

    Args:
        theme_lists: The themes of each row.
        names: Row names for error messages (unit or example ids).
        theme_ids: Column order of the result.
        noun: What a row is, for error messages (``"unit"``, ``"example"``).

    Raises:
        InputError: A row carries a theme that is not among ``theme_ids``.
    """
    column = {t: j for j, t in enumerate(theme_ids)}
    matrix = np.zeros((len(theme_lists), len(column)), dtype=np.int8)
    for i, (name, themes) in enumerate(zip(names, theme_lists, strict=True)):
        for theme in themes:
            if theme not in column:
                raise InputError(
                    f"{noun} {name} is labeled '{theme}', which is not among the "
                    f"theme ids {list(theme_ids)}."
                )
            matrix[i, column[theme]] = 1
    return matrix

"""Hand-made gold theme labels of the seed paragraphs: loading, checks and label matrices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from topics.data.types import InputError
from topics.paths import seeds_dir
from topics.themes.jsonl import check_theme_list, iter_json_objects, multi_hot, require_fields
from topics.themes.taxonomy import load_taxonomy

GOLD_COLUMNS = ["unit_id", "doc_id", "excerpt", "themes", "note"]
_REQUIRED = ("unit_id", "doc_id", "themes")


def default_gold_path() -> Path:
    """Return the bundled gold file ``seeds/gold/themes_paragraph.jsonl``."""
    return seeds_dir() / "gold" / "themes_paragraph.jsonl"


def _parse_record(rec: dict, where: str, known: set[str]) -> dict:
    """Validate one gold record and return it with the gold columns."""
    require_fields(rec, where, _REQUIRED)
    return {
        "unit_id": str(rec["unit_id"]),
        "doc_id": str(rec["doc_id"]),
        "excerpt": str(rec.get("excerpt") or ""),
        "themes": check_theme_list(rec["themes"], where, known),
        "note": str(rec.get("note") or ""),
    }


def load_gold(
    path: str | Path | None = None, theme_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """Read a gold label file (JSON lines) and validate it.

    Args:
        path: The ``.jsonl`` file; ``None`` for the bundled ``seeds/gold/themes_paragraph.jsonl``.
        theme_ids: Allowed theme ids; ``None`` for the ids of the default taxonomy.

    Returns:
        One row per labeled unit, in file order, with columns ``unit_id``, ``doc_id``,
        ``excerpt``, ``themes`` (list of ids, possibly empty) and ``note``.

    Raises:
        InputError: Missing file, bad JSON, missing fields, unknown or repeated theme ids, or a
            unit labeled twice; the message names ``file:line``.
    """
    gold_path = Path(path) if path is not None else default_gold_path()
    if not gold_path.is_file():
        raise InputError(f"{gold_path}: gold label file not found.")
    known = set(theme_ids) if theme_ids is not None else {t.id for t in load_taxonomy()}
    rows: list[dict] = []
    first_line: dict[str, int] = {}
    for no, where, raw in iter_json_objects(gold_path):
        rec = _parse_record(raw, where, known)
        if rec["unit_id"] in first_line:
            raise InputError(
                f"{where}: unit {rec['unit_id']} is already labeled on line "
                f"{first_line[rec['unit_id']]}; keep one line per unit."
            )
        first_line[rec["unit_id"]] = no
        rows.append(rec)
    return pd.DataFrame(rows, columns=GOLD_COLUMNS)


@dataclass(frozen=True)
class GoldCheck:
    """Agreement between gold labels and the current units.

    Attributes:
        orphans: Labeled unit ids that are not among the units (segmentation or text changed).
        unlabeled: Unit ids that have no gold label.
    """

    orphans: tuple[str, ...]
    unlabeled: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when every unit is labeled and every label has its unit."""
        return not self.orphans and not self.unlabeled

    def describe(self) -> str:
        """Return a one-line summary that says what to do on a mismatch."""
        if self.ok:
            return "gold labels match the units"
        return (
            f"{len(self.orphans)} gold label(s) without a unit and {len(self.unlabeled)} "
            "unit(s) without a label: the segmentation or cleaning changed; re-annotate by "
            "hand following seeds/gold/ANNOTATION_GUIDE.md"
        )


def check_gold(gold: pd.DataFrame, units: pd.DataFrame) -> GoldCheck:
    """Compare gold labels with units by ``unit_id``.

    Args:
        gold: Output of :func:`load_gold`.
        units: Units table of the preprocess stage (needs a ``unit_id`` column).

    Returns:
        The orphan labels and unlabeled units, each in its table's order.
    """
    labeled = set(gold["unit_id"])
    present = set(units["unit_id"])
    return GoldCheck(
        orphans=tuple(u for u in gold["unit_id"] if u not in present),
        unlabeled=tuple(u for u in units["unit_id"] if u not in labeled),
    )


def label_matrix(gold: pd.DataFrame, units: pd.DataFrame, theme_ids: Sequence[str]) -> np.ndarray:
    """Return the multi-hot gold matrix aligned to ``units`` rows and ``theme_ids`` columns.

    Args:
        gold: Output of :func:`load_gold`.
        units: Units table; row ``i`` of the result is ``units.iloc[i]``.
        theme_ids: Column order of the result.

    Returns:
        ``int8`` array of shape ``(len(units), len(theme_ids))``.

    Raises:
        InputError: A unit has no gold label, or a label uses an id not in ``theme_ids``.
    """
    by_unit = dict(zip(gold["unit_id"], gold["themes"], strict=True))
    for uid in units["unit_id"]:
        if uid not in by_unit:
            raise InputError(
                f"unit {uid} has no gold label; run check_gold() and label the "
                "unlabeled units by hand."
            )
    unit_ids = list(units["unit_id"])
    return multi_hot([by_unit[u] for u in unit_ids], unit_ids, theme_ids, "unit")


def label_stats(gold: pd.DataFrame, theme_ids: Sequence[str]) -> pd.DataFrame:
    """Count labels per theme and units by number of themes.

    Args:
        gold: Output of :func:`load_gold`.
        theme_ids: Themes to count, in output order.

    Returns:
        Frame indexed by ``item`` with columns ``kind`` (``theme`` or ``n_themes``), ``count`` and
        ``share`` (of all labeled units): one row per theme id, then rows ``0``, ``1`` and ``2+``
        for units with 0, 1 and at least 2 themes.
    """
    n = len(gold)
    sizes = gold["themes"].map(len)
    rows = [(t, "theme", int(gold["themes"].map(lambda ts, t=t: t in ts).sum())) for t in theme_ids]
    rows += [
        ("0", "n_themes", int((sizes == 0).sum())),
        ("1", "n_themes", int((sizes == 1).sum())),
        ("2+", "n_themes", int((sizes >= 2).sum())),
    ]
    frame = pd.DataFrame(rows, columns=["item", "kind", "count"]).set_index("item")
    frame["share"] = frame["count"] / n if n else 0.0
    return frame


def _aligned(
    pass_a: pd.DataFrame, pass_b: pd.DataFrame, theme_ids: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Return both passes as multi-hot matrices in ``pass_a``'s unit order."""
    a_ids, b_ids = set(pass_a["unit_id"]), set(pass_b["unit_id"])
    if a_ids != b_ids:
        only_a, only_b = sorted(a_ids - b_ids), sorted(b_ids - a_ids)
        raise InputError(
            f"the two annotation passes label different units ({len(only_a)} only in the first, "
            f"e.g. {only_a[:2]}; {len(only_b)} only in the second, e.g. {only_b[:2]}); "
            "label the same units in both passes."
        )
    units = pass_a[["unit_id"]]
    return label_matrix(pass_a, units, theme_ids), label_matrix(pass_b, units, theme_ids)


def agreement(pass_a: pd.DataFrame, pass_b: pd.DataFrame, theme_ids: Sequence[str]) -> pd.DataFrame:
    """Agreement of two annotation passes over the same units, per theme.

    Each theme is a binary decision per unit; Cohen's kappa compares the two 0/1 vectors.

    Args:
        pass_a: First pass (output of :func:`load_gold`).
        pass_b: Second pass over the same unit ids, in any order.
        theme_ids: Themes to compare, in output order.

    Returns:
        Frame indexed by theme id plus a last row ``macro`` (mean over themes), with float
        columns ``n_a`` and ``n_b`` (units labeled with the theme in each pass), ``n_both``,
        ``agreement`` (share of units with the same decision) and ``kappa`` (NaN for a theme
        that neither pass varies on, where kappa is undefined; the macro mean skips it).

    Raises:
        InputError: The passes label different units or use unknown theme ids.
    """
    from sklearn.metrics import cohen_kappa_score

    y_a, y_b = _aligned(pass_a, pass_b, theme_ids)
    rows = []
    for j, theme in enumerate(theme_ids):
        a, b = y_a[:, j], y_b[:, j]
        constant = len(set(a) | set(b)) < 2
        kappa = float("nan") if constant else float(cohen_kappa_score(a, b))
        rows.append((theme, a.sum(), b.sum(), (a & b).sum(), (a == b).mean(), kappa))
    columns = ["theme", "n_a", "n_b", "n_both", "agreement", "kappa"]
    frame = pd.DataFrame(rows, columns=columns).astype(dict.fromkeys(columns[1:], float))
    macro = frame[columns[1:]].mean(skipna=True)
    frame = pd.concat([frame, pd.DataFrame([{"theme": "macro", **macro}])], ignore_index=True)
    return frame.set_index("theme")


def disagreements(
    pass_a: pd.DataFrame, pass_b: pd.DataFrame, theme_ids: Sequence[str]
) -> pd.DataFrame:
    """List the units on which two annotation passes differ.

    Args:
        pass_a: First pass (output of :func:`load_gold`).
        pass_b: Second pass over the same unit ids.
        theme_ids: Themes to compare; the listed ids keep this order.

    Returns:
        One row per differing unit, in ``pass_a``'s order, with columns ``unit_id``,
        ``doc_id``, ``themes_a``, ``themes_b``, ``only_a`` and ``only_b`` (lists of ids).
    """
    y_a, y_b = _aligned(pass_a, pass_b, theme_ids)
    ids = list(theme_ids)
    rows = []
    for i in np.flatnonzero((y_a != y_b).any(axis=1)):
        rows.append(
            {
                "unit_id": pass_a["unit_id"].iloc[i],
                "doc_id": pass_a["doc_id"].iloc[i],
                "themes_a": [t for j, t in enumerate(ids) if y_a[i, j]],
                "themes_b": [t for j, t in enumerate(ids) if y_b[i, j]],
                "only_a": [t for j, t in enumerate(ids) if y_a[i, j] and not y_b[i, j]],
                "only_b": [t for j, t in enumerate(ids) if y_b[i, j] and not y_a[i, j]],
            }
        )
    columns = ["unit_id", "doc_id", "themes_a", "themes_b", "only_a", "only_b"]
    return pd.DataFrame(rows, columns=columns)

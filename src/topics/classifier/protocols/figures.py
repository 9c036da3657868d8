"""Figures of the theme classifier: label co-occurrence and errors, per-article theme profiles."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: CJK font families tried in order.
_CJK_FAMILIES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "SimHei")
_CJK_FILES = ("/usr/share/fonts/truetype/wqy", "/usr/share/fonts/opentype/noto")


@functools.cache
def cjk_family() -> str | None:
    """Return an installed matplotlib font family that draws Chinese, or ``None``."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((f for f in _CJK_FAMILIES if f in names), None)

    family = known()
    if family is None:
        for folder in map(Path, _CJK_FILES):
            for file in sorted(folder.glob("*.tt[cf]")) if folder.is_dir() else []:
                font_manager.fontManager.addfont(str(file))
        family = known()
    if family is None:
        log.warning("no CJK font found; Chinese labels will show as boxes (apt fonts-wqy-microhei)")
    return family


def _style() -> dict[str, object]:
    family = cjk_family()
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [family, "DejaVu Sans"] if family else ["DejaVu Sans"],
        "axes.unicode_minus": False,
    }


def cooccurrence(M: np.ndarray) -> np.ndarray:
    """Return the ``(k, k)`` count of units carrying both themes (diagonal: theme counts)."""
    M = np.asarray(M, dtype=int)
    return M.T @ M


def _heatmap(
    ax, matrix: np.ndarray, rows: Sequence[str], cols: Sequence[str], title: str, fmt: str = "d"
) -> None:
    image = ax.imshow(matrix, cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_title(title)
    top = matrix.max() if matrix.size else 0
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(
            j,
            i,
            format(value, fmt),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if top and value > 0.6 * top else "black",
        )
    ax.figure.colorbar(image, ax=ax, fraction=0.046)


def plot_label_errors(
    Y: np.ndarray, P: np.ndarray, labels: Sequence[str], path: str | Path, title: str = ""
) -> Path:
    """Write a PNG: gold and predicted co-occurrence heatmaps and per-theme TP / FP / FN bars."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Y, P = np.asarray(Y, dtype=int), np.asarray(P, dtype=int)
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(1, 3, figsize=(17, 5.2))
        _heatmap(axes[0], cooccurrence(Y), labels, labels, "金标共现 gold co-occurrence")
        _heatmap(axes[1], cooccurrence(P), labels, labels, "预测共现 predicted co-occurrence")
        x = np.arange(len(labels))
        tp = (Y * P).sum(0)
        fp = ((1 - Y) * P).sum(0)
        fn = (Y * (1 - P)).sum(0)
        axes[2].bar(x - 0.27, tp, 0.27, label="TP", color="#4c9f70")
        axes[2].bar(x, fp, 0.27, label="FP", color="#e08e45")
        axes[2].bar(x + 0.27, fn, 0.27, label="FN", color="#c44e52")
        axes[2].set_xticks(x, labels, rotation=45, ha="right")
        axes[2].set_title("错误 errors per theme")
        axes[2].legend()
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return path


def plot_profile_heatmap(profile: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Write a PNG heatmap of a per-article theme profile (articles x themes, shares)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(_style()):
        height = 1.8 + 0.35 * len(profile)
        fig, ax = plt.subplots(figsize=(1.2 * len(profile.columns) + 3, height))
        _heatmap(
            ax,
            profile.to_numpy(dtype=float),
            [str(i) for i in profile.index],
            [str(c) for c in profile.columns],
            title or "主题占比 theme share",
            fmt=".2f",
        )
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return path

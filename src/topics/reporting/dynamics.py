"""Topics over time and per group: unit counts and shares per time bin or per group.

BERTopic's ``topics_over_time`` and ``topics_per_class`` answer a different question: they rerun
c-TF-IDF on the joined documents of every topic in every bin or class (words per bin), through
the model's vectorizer and ``nr_bins`` equal-width bins. What a reader asks first is how large
each topic is per calendar period and per outlet or class, which is a count of the run's own
assignments; it costs no pass over the corpus and works for every fit mode. So these tables are
plain pandas on ``assignments``; the topic labels are the run's.

Each view is written as a CSV table, an interactive HTML figure (plotly) and a PNG (matplotlib,
with a CJK font).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from topics.data.types import InputError

log = logging.getLogger(__name__)

OUTLIER_COLOR = "#BDBDBD"
TIME_BINS = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}


@dataclass
class TopicView:
    """One view of topic sizes: ``table`` has ``key``, ``topic``, ``label``, ``count``, ``share``.

    Attributes:
        name: File stem, e.g. ``topics_over_time`` or ``topics_per_source``.
        key: The column of the table the topics are counted per (``bin`` or ``group``).
        title: Figure title.
        table: The long table, one row per (key, topic) with at least one unit.
        files: The files written by :func:`write_view`.
    """

    name: str
    key: str
    title: str
    table: pd.DataFrame
    files: list[Path] = field(default_factory=list)


def topic_shares(
    keys: pd.Series, topics: pd.Series, labels: Mapping[int, str], key: str
) -> pd.DataFrame:
    """Count units per (key, topic); ``share`` is the topic's part of the key's units.

    Units whose key is missing are left out.
    """
    frame = pd.DataFrame({key: keys.to_numpy(), "topic": topics.to_numpy().astype(int)})
    frame = frame[frame[key].notna()]
    counts = frame.groupby([key, "topic"], sort=True).size().rename("count").reset_index()
    totals = counts.groupby(key)["count"].transform("sum")
    counts["share"] = counts["count"] / totals
    counts.insert(2, "label", counts.topic.map(lambda t: labels.get(int(t), str(t))))
    return counts


def time_bins(dates: pd.Series, time_bin: str) -> pd.Series:
    """Map date strings to period labels (``2024-11`` for ``M``); unparsable dates become NA.

    Raises:
        InputError: ``time_bin`` is not one of :data:`TIME_BINS`.
    """
    if time_bin not in TIME_BINS:
        raise InputError(
            f"config field report.time_bin={time_bin!r} is not a time bin; use one of "
            f"{list(TIME_BINS)} (day, week, month, quarter, year)."
        )
    parsed = pd.to_datetime(dates, errors="coerce", format="mixed", utc=True)
    periods = parsed.dt.tz_localize(None).dt.to_period(time_bin)
    return periods.astype("string").where(parsed.notna())


def over_time(
    dates: pd.Series, topics: pd.Series, labels: Mapping[int, str], time_bin: str
) -> TopicView | None:
    """Topic shares per time bin, or ``None`` when fewer than one unit has a date."""
    bins = time_bins(dates, time_bin)
    if not bins.notna().any():
        return None
    table = topic_shares(bins, topics, labels, "bin")
    title = f"Topics over time (share of units per {TIME_BINS[time_bin]})"
    return TopicView("topics_over_time", "bin", title, table)


def per_group(
    groups: pd.Series, topics: pd.Series, labels: Mapping[int, str], name: str, max_groups: int
) -> TopicView | None:
    """Topic shares per group, or ``None`` unless 2..``max_groups`` groups have units."""
    n = groups.dropna().nunique()
    if not 2 <= n <= max_groups:
        log.info("topics per %s: %d groups, outside 2..%d; skipped", name, n, max_groups)
        return None
    table = topic_shares(groups, topics, labels, "group")
    title = f"Topic shares per {name}"
    return TopicView(f"topics_per_{name}", "group", title, table)


def write_view(view: TopicView, out: Path, plotly_js: str | bool = "directory") -> TopicView:
    """Write ``view`` as ``<name>.csv``, ``<name>.html`` and ``<name>.png`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    csv = out / f"{view.name}.csv"
    view.table.to_csv(csv, index=False)
    html = out / f"{view.name}.html"
    _plotly(view).write_html(html, include_plotlyjs=plotly_js)
    png = out / f"{view.name}.png"
    _matplotlib(view, png)
    view.files = [csv, html, png]
    return view


def _wide(view: TopicView) -> pd.DataFrame:
    """Keys as rows, topics as columns (ordered by id), shares as values (0 where absent)."""
    wide = view.table.pivot_table(
        index=view.key, columns="topic", values="share", aggfunc="sum", fill_value=0.0
    )
    return wide.reindex(columns=sorted(wide.columns))


def _names(view: TopicView) -> dict[int, str]:
    pairs = view.table.drop_duplicates("topic")[["topic", "label"]].itertuples(index=False)
    return {int(t): _short(f"{t} {label}") for t, label in pairs}


def _short(text: str, n: int = 28) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _plotly(view: TopicView):  # noqa: ANN202 - plotly's Figure
    import plotly.graph_objects as go

    wide, names = _wide(view), _names(view)
    fig = go.Figure()
    for topic in wide.columns:
        color = OUTLIER_COLOR if topic == -1 else None
        if view.key == "bin":
            fig.add_trace(
                go.Scatter(
                    x=wide.index.tolist(),
                    y=wide[topic].tolist(),
                    mode="lines+markers",
                    name=names[int(topic)],
                    line={"color": color},
                )
            )
        else:
            fig.add_trace(
                go.Bar(
                    y=[_short(str(g), 40) for g in wide.index],
                    x=wide[topic].tolist(),
                    orientation="h",
                    name=names[int(topic)],
                    marker={"color": color},
                )
            )
    fig.update_layout(
        title=view.title,
        barmode="stack",
        xaxis_title="share of units" if view.key == "group" else view.key,
        yaxis_title="share of units" if view.key == "bin" else None,
        width=1100,
        height=max(450, 60 + 28 * len(wide)) if view.key == "group" else 550,
    )
    return fig


def _matplotlib(view: TopicView, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    from topics.topic_model.fonts import cjk_rc

    wide, names = _wide(view), _names(view)
    palette = matplotlib.colormaps["tab10" if len(wide.columns) <= 10 else "tab20"]
    colors = [
        OUTLIER_COLOR if t == -1 else palette(i % palette.N) for i, t in enumerate(wide.columns)
    ]
    with matplotlib.rc_context(cjk_rc()):
        if view.key == "bin":
            fig = Figure(figsize=(10, 5))
            ax = fig.add_subplot(1, 1, 1)
            x = np.arange(len(wide))
            for topic, color in zip(wide.columns, colors, strict=True):
                ax.plot(x, wide[topic], marker="o", color=color, label=names[int(topic)])
            ax.set_xticks(x, wide.index.tolist(), rotation=45, ha="right")
            ax.set_ylabel("share of units")
        else:
            fig = Figure(figsize=(11, 1.5 + 0.42 * len(wide)))
            ax = fig.add_subplot(1, 1, 1)
            left = np.zeros(len(wide))
            rows = [_short(str(g), 40) for g in wide.index]
            for topic, color in zip(wide.columns, colors, strict=True):
                ax.barh(rows, wide[topic], left=left, color=color, label=names[int(topic)])
                left += wide[topic].to_numpy()
            ax.invert_yaxis()
            ax.set_xlabel("share of units")
        ax.set_title(view.title)
        if len(wide.columns) <= 24:
            ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
        fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def group_columns(
    units: pd.DataFrame,
    documents: pd.DataFrame,
    doc_meta: Mapping[str, Mapping[str, object]],
    groups: Sequence[str],
    source_field: str | None,
) -> dict[str, pd.Series]:
    """Per-unit group values for each configured group name (``label``, ``source``, ``article``).

    Raises:
        InputError: An unknown group name.
    """
    known = {"label", "source", "article"}
    unknown = [g for g in groups if g not in known]
    if unknown:
        raise InputError(
            f"config field report.groups has unknown group(s) {unknown}; use {sorted(known)}."
        )
    doc_ids = units["doc_id"].astype(str)
    titles = article_titles(documents)
    columns: dict[str, pd.Series] = {}
    for name in groups:
        if name == "label":
            values = units["label"]
        elif name == "source":
            sources = {d: (m or {}).get(source_field) for d, m in doc_meta.items()}
            values = doc_ids.map(sources) if source_field else pd.Series(pd.NA, index=units.index)
        else:
            values = doc_ids.map(titles)
        columns[name] = values.where(values.notna() & (values.astype("string") != ""))
    return columns


def article_titles(documents: pd.DataFrame, max_chars: int | None = None) -> dict[str, str]:
    """``doc_id`` -> a readable name: the title when there is one, else the id.

    Titles are cut to ``max_chars`` (with ``…``); a name shared by several documents gets the
    id appended, so names stay unique.
    """
    ids = documents["doc_id"].astype(str).tolist()
    raw = documents["title"].tolist() if "title" in documents else [None] * len(ids)
    names = [
        _short(t.strip(), max_chars or len(t)) if isinstance(t, str) and t.strip() else d
        for d, t in zip(ids, raw, strict=True)
    ]
    repeated = {n for n, k in Counter(names).items() if k > 1}
    return {
        d: f"{n} ({d})" if n in repeated and n != d else n for d, n in zip(ids, names, strict=True)
    }

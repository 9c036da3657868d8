"""Tables for notebooks: topics, article profiles, representative units, run comparisons."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from topics.data.types import InputError
from topics.explore.runs import RunArtifacts, pick_run
from topics.reporting.dynamics import article_titles

if TYPE_CHECKING:
    from mlflow.entities import Run


def topics_table(art: RunArtifacts, n_words: int = 8) -> pd.DataFrame:
    """The topics as a display table: id, size, share, label and top words."""
    table = art.topics[["topic", "size", "share", "label"]].copy()
    table["words"] = art.topics.words.map(lambda ws: " ".join(list(ws)[:n_words]))
    return table.set_index("topic")


class EmbeddedFigure:
    """A logged plotly HTML file shown inline by notebooks (``display(fig)`` or a cell's value).

    The file is embedded whole in an ``<iframe srcdoc>``: it works offline and in any notebook
    UI, since the logged HTML carries plotly.js itself.
    """

    def __init__(self, path: str | Path, height: int = 620) -> None:
        self.path = Path(path)
        self.height = height

    def _repr_html_(self) -> str:
        content = self.path.read_text(encoding="utf-8")
        return (
            f'<iframe srcdoc="{html.escape(content, quote=True)}" width="100%" '
            f'height="{self.height}" style="border:none" title="{self.path.stem}"></iframe>'
        )


def article_profiles(art: RunArtifacts, top: int = 3) -> pd.DataFrame:
    """Each article's profile, indexed by title: its ``top`` themes (if logged) or topics.

    The theme profile (``themes/profile.csv``) is used when the run has one, else the topic mix
    of the article's units (``topics/doc_topic_mix.csv``).
    """
    if art.theme_profile is not None:
        mix = art.theme_profile
        if "doc_id" in mix.columns:
            mix = mix.set_index("doc_id")
        mix, names, kind = mix.select_dtypes("number"), {}, "themes"
    else:
        mix, kind = art.doc_topic_mix, "topics"
        pairs = zip(art.topics.topic, art.topics.label, strict=True)
        names = {str(t): f"{t}: {label}" for t, label in pairs}
    rows = []
    for doc_id, shares in mix.iterrows():
        best = shares[shares > 0].sort_values(ascending=False).head(top)
        rows.append(
            {
                "doc_id": doc_id,
                f"top {kind}": "; ".join(
                    f"{names.get(str(k), k)} ({v:.0%})" for k, v in best.items()
                ),
            }
        )
    docs = art.documents.set_index("doc_id")[["language", "n_units"]]
    table = docs.join(pd.DataFrame(rows).set_index("doc_id"), how="inner")
    titles = article_titles(art.documents)
    table.insert(0, "doc_id", table.index)
    table.index = pd.Index([titles[str(d)] for d in table.index], name="article")
    return table


def representative_units(art: RunArtifacts, topic_id: int, n: int = 5) -> pd.DataFrame:
    """The units that best represent a topic, with their full text and article title.

    BERTopic's representative units come first, then the topic's other units by probability.

    Raises:
        InputError: ``topic_id`` is not a topic of the run.
    """
    row = art.topics[art.topics.topic == topic_id]
    if row.empty:
        known = art.topics.topic.tolist()
        raise InputError(f"topic {topic_id} is not a topic of run {art.run_id}; topics: {known}")
    reps = [r["unit_id"] for r in (row.iloc[0].get("representatives") or [])]
    members = art.assignments[art.assignments.topic == topic_id]
    ranked = members.sort_values("probability", ascending=False).unit_id.tolist()
    chosen = list(dict.fromkeys([*reps, *ranked]))[:n]
    table = pd.DataFrame({"unit_id": chosen, "representative": [u in reps for u in chosen]})
    table = table.merge(art.assignments[["unit_id", "probability"]], on="unit_id", how="left")
    table = table.merge(art.units[["unit_id", "doc_id", "text"]], on="unit_id", how="left")
    titles = art.documents[["doc_id", "title"]]
    return table.merge(titles, on="doc_id", how="left")[
        ["unit_id", "title", "probability", "representative", "text"]
    ]


def _run_label(run: Run) -> str:
    return f"{run.info.run_name or 'run'} ({run.info.run_id[:8]})"


def _runs(runs: list[Any], tracking_uri: str | None) -> list[Run]:
    from mlflow.entities import Run

    if len(runs) < 2:
        raise InputError("compare: give two or more runs (ids or Run objects)")
    return [r if isinstance(r, Run) else pick_run(tracking_uri, run_id=str(r)) for r in runs]


def compare_runs(
    run_ids: list[Any],
    tracking_uri: str | None = None,
    ignore: tuple[str, ...] = ("paths.output_dir",),
) -> pd.DataFrame:
    """Params that differ and all metrics, one column per run.

    Args:
        run_ids: Two or more run ids (or runs).
        tracking_uri: The store; default :func:`default_tracking_uri`.
        ignore: Params left out (they differ for every run).

    Returns:
        A table indexed by ``(kind, name)`` with kind ``param`` or ``metric``.
    """
    runs = _runs(run_ids, tracking_uri)
    params = pd.DataFrame({_run_label(r): r.data.params for r in runs}).drop(
        index=list(ignore), errors="ignore"
    )
    differ = params[params.astype(str).nunique(axis=1, dropna=False) > 1]
    metrics = pd.DataFrame({_run_label(r): r.data.metrics for r in runs}).sort_index()
    return pd.concat({"param": differ.sort_index(), "metric": metrics}, names=["kind", "name"])


def compare_topics(arts: list[RunArtifacts], n_words: int = 5) -> pd.DataFrame:
    """Topics of several runs side by side, ``size: top words`` per run.

    Topic ids are ranks by size within each run, so row ``k`` holds each run's ``k``-th
    largest topic (ids of different runs name different topics).
    """
    columns = {}
    for art in arts:
        table = topics_table(art, n_words)
        columns[_run_label(art.run)] = table["size"].astype(str) + ": " + table["words"]
    return pd.DataFrame(columns).rename_axis("topic (by size)").fillna("")

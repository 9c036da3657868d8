"""Render the run report: one self-contained HTML page (inline CSS, PNGs as base64, no script).

The page is built from the files a job wrote into its folder (``data/``, ``topics/``,
``themes/``, ``dynamics/``), so it opens offline, from the MLflow UI or a disk, alike.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from topics.reporting.dynamics import article_titles

CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","PingFang SC","Microsoft YaHei",
 system-ui,sans-serif;margin:0;color:#1d2733;background:#f6f7f9;line-height:1.45}
header{background:#1d3557;color:#fff;padding:18px 32px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:2px 0;font-size:13px;opacity:.9}nav{padding:8px 32px;background:#e8edf3;
 font-size:14px}nav a{margin-right:14px;color:#1d3557}main{padding:8px 32px 40px}
section{background:#fff;border-radius:6px;padding:12px 20px;margin:16px 0;
 box-shadow:0 1px 2px rgba(0,0,0,.08)}h2{font-size:18px;margin:6px 0 10px;color:#1d3557}
h3{font-size:15px;margin:14px 0 6px}table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border:1px solid #d5dbe3;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef2f6}td.num{text-align:right}img{max-width:100%;height:auto;margin:6px 0;
 border:1px solid #e3e7ec}.rep{font-size:13px;margin:4px 0 4px 12px;color:#333}
.rep b{color:#1d3557}.cards{display:flex;flex-wrap:wrap;gap:8px}.card{background:#eef2f6;
 border-radius:5px;padding:6px 12px;min-width:150px}.card .v{font-size:18px;font-weight:600}
.card .k{font-size:12px;color:#4a5560}summary{cursor:pointer;margin:8px 0;color:#1d3557}.muted{color:#68727d;font-size:13px}.topic{margin:10px 0 14px}
"""


@dataclass
class ReportInput:
    """What the report shows besides the job folder's files."""

    title: str
    run_name: str
    run_id: str | None
    experiment: str
    metrics: Mapping[str, float]
    overrides: Sequence[str] = ()
    config_diff: pd.DataFrame | None = None
    paragraphs_per_topic: int = 3
    paragraph_chars: int = 240
    max_topics: int = 30
    max_rows: int = 30
    extra: dict[str, str] = field(default_factory=dict)


def _esc(value: object) -> str:
    return html.escape(
        "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    )


def _table(frame: pd.DataFrame, max_rows: int = 60) -> str:
    """An escaped HTML table; numbers right-aligned and rounded."""
    shown = frame.head(max_rows)
    head = "".join(f"<th>{_esc(c)}</th>" for c in shown.columns)
    rows = []
    for values in shown.itertuples(index=False):
        cells = []
        for v in values:
            if isinstance(v, float):
                cells.append(f'<td class="num">{v:.3f}</td>' if pd.notna(v) else "<td></td>")
            elif isinstance(v, int):
                cells.append(f'<td class="num">{v}</td>')
            else:
                cells.append(f"<td>{_esc(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f'<p class="muted">{len(frame) - max_rows} more rows in the CSV.</p>'
        if len(frame) > max_rows
        else ""
    )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>{more}"


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{_esc(alt)}" src="data:image/png;base64,{data}">'


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{_esc(title)}</h2>{body}</section>'


def _read_csv(path: Path, **kwargs: object) -> pd.DataFrame | None:
    return pd.read_csv(path, **kwargs) if path.is_file() else None  # type: ignore[arg-type]


#: the metrics shown first, when the run has them
KEY_METRICS = (
    "data/n_documents", "data/n_units", "data/lines_dropped", "topics/n_topics",
    "topics/outlier_ratio_before", "topics/outlier_ratio_after", "topics/npmi_mean",
    "topics/diversity", "topics/nmi", "stability/ari_mean", "stability/topic_match_jaccard",
    "themes/macro_f1", "themes/macro_f1_ci_low", "themes/macro_f1_ci_high", "themes/micro_f1",
    "thucnews/accuracy", "thucnews/macro_f1", "time/total_s",
)  # fmt: skip


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:.3f}"


def _metrics(inp: ReportInput) -> str:
    cards = "".join(
        f'<div class="card"><div class="v">{_number(float(inp.metrics[k]))}</div>'
        f'<div class="k">{_esc(k)}</div></div>'
        for k in KEY_METRICS
        if k in inp.metrics
    )
    keys = sorted(inp.metrics)
    frame = pd.DataFrame({"metric": keys, "value": [float(inp.metrics[k]) for k in keys]})
    return (
        f'<div class="cards">{cards}</div><details><summary>All {len(keys)} metrics</summary>'
        f"{_table(frame, max_rows=len(frame))}</details>"
    )


def _config(inp: ReportInput) -> str:
    overrides = ", ".join(f"<code>{_esc(o)}</code>" for o in inp.overrides) or "none"
    body = f"<p>Overrides of this job: {overrides}</p>"
    if inp.config_diff is None:
        return body + '<p class="muted">The default config could not be composed here.</p>'
    if inp.config_diff.empty:
        return body + "<p>The config equals the defaults.</p>"
    return body + _table(inp.config_diff, max_rows=80)


def _titles(job: Path) -> tuple[dict[str, str], pd.DataFrame | None]:
    docs = job / "data" / "documents.parquet"
    if not docs.is_file():
        return {}, None
    documents = pd.read_parquet(docs)
    return article_titles(documents), documents


def _topics(job: Path, inp: ReportInput, titles: Mapping[str, str]) -> str:
    table = _read_csv(job / "topics" / "topics.csv")
    if table is None:
        return '<p class="muted">No topic model in this run.</p>'
    cols = [c for c in ("topic", "size", "share", "stability", "label", "words") if c in table]
    body = _table(table[cols], max_rows=inp.max_topics)
    reps_file = job / "topics" / "topics.json"
    units_file = job / "data" / "units.parquet"
    if not (reps_file.is_file() and units_file.is_file()):
        return body
    units = pd.read_parquet(units_file, columns=["unit_id", "text"])
    text_of = dict(zip(units.unit_id.astype(str), units.text, strict=True))
    parts = ["<h3>Representative paragraphs</h3>"]
    for row in json.loads(reps_file.read_text(encoding="utf-8"))[: inp.max_topics]:
        reps = row.get("representatives") or []
        items = []
        for rep in reps[: inp.paragraphs_per_topic]:
            text = str(text_of.get(str(rep.get("unit_id")), rep.get("excerpt", "")))
            if len(text) > inp.paragraph_chars:
                text = text[: inp.paragraph_chars - 1] + "…"
            title = titles.get(str(rep.get("doc_id")), str(rep.get("doc_id")))
            items.append(f'<div class="rep"><b>《{_esc(title)}》</b> {_esc(text)}</div>')
        stability = f" · stability {row['stability']:.2f}" if "stability" in row else ""
        parts.append(
            f'<div class="topic"><b>Topic {_esc(row["topic"])}: {_esc(row["label"])}</b> '
            f'<span class="muted">({_esc(row["size"])} units{stability})</span>'
            + "".join(items)
            + "</div>"
        )
    return body + "".join(parts)


def _figures(folder: Path, names: Sequence[str]) -> str:
    shown = [folder / f"{n}.png" for n in names if (folder / f"{n}.png").is_file()]
    return "".join(_img(p, p.stem) for p in shown) or '<p class="muted">No figures.</p>'


def _dynamics(job: Path, inp: ReportInput) -> str:
    folder = job / "dynamics"
    pngs = sorted(folder.glob("topics_*.png")) if folder.is_dir() else []
    if not pngs:
        return (
            '<p class="muted">No dates or groups on the units (set data.date_field / '
            "label_field, or give the manifest dates and sources).</p>"
        )
    parts = []
    for png in sorted(pngs, key=lambda p: (p.stem != "topics_over_time", p.stem)):
        title = png.stem.replace("topics_", "Topics ").replace("_", " ")
        parts.append(f"<h3>{_esc(title)}</h3>{_img(png, png.stem)}")
        table = _read_csv(png.with_suffix(".csv"))
        if table is not None:
            key = "bin" if "bin" in table else "group"
            wide = table.pivot_table(
                index=key, columns="topic", values="count", aggfunc="sum", fill_value=0
            ).astype(int)
            wide.columns = [f"topic {c}" for c in wide.columns]
            parts.append(_table(wide.reset_index(), max_rows=inp.max_rows))
    return "".join(parts)


def _themes(job: Path, inp: ReportInput, titles: Mapping[str, str]) -> str:
    folder = job / "themes"
    if not folder.is_dir():
        return '<p class="muted">No theme stage in this run.</p>'
    parts = []
    profile = _read_csv(folder / "profile.csv", index_col=0)
    if profile is not None:
        profile.index = [titles.get(str(i), str(i)) for i in profile.index]
        parts.append("<h3>Theme profile by article (share of its units per theme)</h3>")
        parts.append(_table(profile.rename_axis("article").reset_index(), max_rows=inp.max_rows))
        parts.append(_figures(folder, ["profile"]))
    per_theme = _read_csv(folder / "per_theme.csv")
    if per_theme is not None:
        parts.append("<h3>Per-theme evaluation (leave-one-article-out)</h3>" + _table(per_theme))
    single = _read_csv(folder / "single_label.csv")
    if single is not None:
        parts.append("<h3>Single-label evaluation</h3>" + _table(single))
    figures = folder / "figures"
    if figures.is_dir():
        parts.append(_figures(figures, sorted(p.stem for p in figures.glob("*.png"))))
    return "".join(parts)


def _ingestion(job: Path, inp: ReportInput, titles: Mapping[str, str]) -> str:
    path = job / "data" / "ingestion_report.json"
    if not path.is_file():
        return '<p class="muted">No ingestion report in this run.</p>'
    report = json.loads(path.read_text(encoding="utf-8"))
    docs = report.get("documents", [])
    rows = [
        {
            "article": titles.get(str(d["doc_id"]), d["doc_id"]),
            "language": d.get("language"),
            "lines kept": int(d.get("lines_kept", 0)),
            "lines dropped": int(d.get("lines_dropped", 0)),
            "units": int(d.get("n_units", 0)),
            "duplicate of": d.get("duplicate_of"),
        }
        for d in docs
    ]
    frame = pd.DataFrame(rows)
    reasons = pd.Series([r["reason"] for d in docs for r in d.get("dropped", [])], dtype=object)
    body = (
        f"<p>{len(docs)} documents, {int(frame['lines kept'].sum()) if rows else 0} lines kept, "
        f"{len(reasons)} dropped, {len(report.get('duplicates', []))} duplicates.</p>"
    )
    body += _table(frame, max_rows=inp.max_rows)
    if len(reasons):
        counts = reasons.value_counts().head(12).rename_axis("reason").reset_index(name="lines")
        body += "<h3>Why lines were dropped</h3>" + _table(counts)
    return body


def render_report(job_dir: str | Path, inp: ReportInput) -> str:
    """The report page of the job folder ``job_dir`` as one HTML string."""
    job = Path(job_dir)
    titles, _ = _titles(job)
    sections = [
        ("metrics", "Key metrics", _metrics(inp)),
        ("config", "Config: differences from the defaults", _config(inp)),
        ("topics", "Topics", _topics(job, inp, titles)),
        (
            "figures",
            "Topic figures",
            _figures(
                job / "topics" / "figures",
                ["topics_barchart", "topics_map", "topics_heatmap", "topics_hierarchy"],
            ),
        ),
        ("dynamics", "Topics over time and per group", _dynamics(job, inp)),
        ("themes", "Themes", _themes(job, inp, titles)),
        ("ingestion", "Ingestion audit", _ingestion(job, inp, titles)),
    ]
    nav = "".join(f'<a href="#{a}">{_esc(t.split(":")[0])}</a>' for a, t, _ in sections)
    meta = "".join(f"<p>{_esc(k)}: {_esc(v)}</p>" for k, v in inp.extra.items())
    head = (
        f"<header><h1>{_esc(inp.title)}</h1><p>experiment {_esc(inp.experiment)} · run "
        f"{_esc(inp.run_name)} · id {_esc(inp.run_id or '(not tracked)')}</p>{meta}</header>"
    )
    body = "".join(_section(a, t, b) for a, t, b in sections)
    return (
        '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">'
        f"<title>{_esc(inp.title)}</title><style>{CSS}</style></head>"
        f"<body>{head}<nav>{nav}</nav><main>{body}</main></body></html>"
    )

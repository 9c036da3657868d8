"""The end of a run: topics over time and per group (``dynamics/``) and the report page.

:func:`write_run_report` runs after the configured stages on a job context of
:mod:`topics.runner`; it writes ``dynamics/*`` (CSV, HTML, PNG) and ``report/report.html`` into the
job folder and logs both folders as artifacts.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from topics.reporting.dynamics import TopicView, group_columns, over_time, per_group, write_view
from topics.reporting.html import ReportInput, render_report

if TYPE_CHECKING:
    from topics.context import Context

log = logging.getLogger(__name__)

#: config roots left out of the config diff (where files go, not what is computed)
_NOT_DIFFED = ("paths", "hydra")


def _plotly_js(out: Path) -> str:
    """Reuse the topic figures' plotly.min.js when there is one, else write one next to ours."""
    shared = out.parent / "topics" / "figures" / "plotly.min.js"
    return "../topics/figures/plotly.min.js" if shared.is_file() else "directory"


def write_dynamics(ctx: Context) -> list[TopicView]:
    """Topic shares per time bin and per group of the run's units (see :mod:`.dynamics`)."""
    result, pre = ctx.topics, ctx.preprocess
    if result is None or pre is None:
        return []
    rep = ctx.cfg.report
    units, documents = pre.units, pre.documents
    topics = result.assignments.topic.reset_index(drop=True)
    table = result.topics_table
    labels = {int(t): str(lab) for t, lab in zip(table.topic, table.label, strict=True)}
    doc_dates = dict(zip(documents.doc_id.astype(str), documents.date, strict=True))
    dates = units.doc_id.astype(str).map(doc_dates).reset_index(drop=True)
    views = [over_time(dates, topics, labels, str(rep.time_bin))]
    meta = {d.doc_id: d.meta for d in ctx.documents or []}
    groups = group_columns(units, documents, meta, list(rep.groups), rep.get("source_field"))
    for name, values in groups.items():
        views.append(
            per_group(values.reset_index(drop=True), topics, labels, name, int(rep.max_groups))
        )
    found = [v for v in views if v is not None]
    if not found:
        return []
    out = ctx.out / "dynamics"
    for view in found:
        write_view(view, out, _plotly_js(out))
    ctx.rec.log_dir(out, "dynamics")
    metrics = {
        f"dynamics/n_{v.name.removeprefix('topics_')}": v.table[v.key].nunique() for v in found
    }
    ctx.log_metrics(metrics)
    return found


def _flat(node: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(node, dict):
        flat: dict[str, str] = {}
        for key, value in node.items():
            flat.update(_flat(value, f"{prefix}{key}."))
        return flat
    return {
        prefix[:-1]: json.dumps(node, ensure_ascii=False) if isinstance(node, list) else str(node)
    }


def default_config() -> DictConfig | None:
    """The composed default config of ``topics-run`` (``None`` when Hydra cannot compose it)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from topics.paths import config_dir

    try:
        if GlobalHydra.instance().is_initialized():
            return compose(config_name="config")
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            return compose(config_name="config")
    except Exception as err:  # the report is still useful without the diff
        log.warning("report: could not compose the default config (%s); no config diff", err)
        return None


def config_diff(cfg: DictConfig, defaults: DictConfig | None) -> pd.DataFrame | None:
    """Keys whose (unresolved) value differs from the defaults: ``key``, ``default``, ``value``."""
    if defaults is None:
        return None

    def plain(c: DictConfig) -> dict[str, str]:
        container = OmegaConf.to_container(c, resolve=False, throw_on_missing=False)
        flat = _flat(container)  # type: ignore[arg-type]
        return {k: v for k, v in flat.items() if k.split(".")[0] not in _NOT_DIFFED}

    ran, base = plain(cfg), plain(defaults)
    rows = [
        {"key": k, "default": base.get(k, "—"), "value": ran.get(k, "—")}
        for k in sorted(set(ran) | set(base))
        if ran.get(k) != base.get(k)
    ]
    return pd.DataFrame(rows, columns=["key", "default", "value"])


def write_run_report(ctx: Context, run_name: str) -> Path | None:
    """Write the dynamics and ``report/report.html`` of a finished job and log them."""
    from topics.tracking.naming import job_overrides

    rep = ctx.cfg.report
    if not rep.enabled:
        return None
    write_dynamics(ctx)
    cfg = ctx.cfg
    inp = ReportInput(
        title=f"topics run report · {cfg.experiment_name} · {run_name}",
        run_name=run_name,
        run_id=ctx.run_id,
        experiment=str(cfg.experiment_name),
        metrics=dict(ctx.metrics),
        overrides=job_overrides(),
        config_diff=config_diff(cfg, default_config()),
        paragraphs_per_topic=int(rep.paragraphs_per_topic),
        paragraph_chars=int(rep.paragraph_chars),
        max_topics=int(rep.max_topics),
        max_rows=int(rep.max_groups),
        extra={
            "corpus": f"{cfg.data.get('name', '?')} ({cfg.preprocess.get('unit', '?')} units)",
            "embedding": str(cfg.embedding.name),
            "stages": ", ".join(cfg.stages),
        },
    )
    out = ctx.out / "report"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.html"
    path.write_text(render_report(ctx.out, inp), encoding="utf-8")
    ctx.rec.log_dir(out, "report")
    return path

"""Results tables generated from MLflow runs, for experiment READMEs (never typed by hand)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

START, END = "<!-- results:start -->", "<!-- results:end -->"
DEFAULT_METRICS = (
    "data/n_units",
    "topics/n_topics",
    "topics/outlier_ratio_after",
    "topics/npmi_mean",
    "topics/diversity",
    "time/total_s",
)


def _client(tracking_uri: str | None):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri) if tracking_uri else MlflowClient()


def latest_sweep_runs(experiment: str, tracking_uri: str | None = None) -> pd.DataFrame:
    """The child runs of the latest sweep of ``experiment`` (or its latest run, if no sweep).

    Returns:
        One row per run: ``run_id``, ``status``, ``params.*``, ``metrics.*`` columns.
    """
    client = _client(tracking_uri)
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        known = sorted(e.name for e in client.search_experiments())
        raise LookupError(f"no MLflow experiment {experiment!r} at {tracking_uri}; known: {known}")
    parents = client.search_runs(
        [exp.experiment_id],
        "tags.sweep = 'true'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if parents:
        filter_ = f"tags.`mlflow.parentRunId` = '{parents[0].info.run_id}'"
    else:
        filter_ = "attributes.status = 'FINISHED'"
    # a sweep's children in launch order; with no sweep, the latest finished run
    found = client.search_runs(
        [exp.experiment_id],
        filter_,
        order_by=[f"attributes.start_time {'ASC' if parents else 'DESC'}"],
        max_results=1000 if parents else 1,
    )
    runs = pd.DataFrame(
        [
            {
                "run_id": r.info.run_id,
                "status": r.info.status,
                **{f"params.{k}": v for k, v in r.data.params.items()},
                **{f"metrics.{k}": v for k, v in r.data.metrics.items()},
            }
            for r in found
        ]
    )
    if runs.empty:
        raise LookupError(f"experiment {experiment!r} has no finished runs to tabulate")
    return runs


def results_table(
    runs: pd.DataFrame,
    metrics: Sequence[str] = DEFAULT_METRICS,
    params: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Tabulate runs: the params that differ between them (or ``params``), then ``metrics``."""
    param_cols = [c for c in runs.columns if c.startswith("params.")]
    if params:
        chosen = [f"params.{p}" for p in params]
    else:
        chosen = [
            c
            for c in param_cols
            if runs[c].astype(str).nunique() > 1
            and not c.startswith(("params.paths.", "params.hydra"))
        ]
        chosen = _compact(runs, chosen)
    metric_cols = [f"metrics.{m}" for m in metrics if f"metrics.{m}" in runs.columns]
    table = runs[["status", *chosen, *metric_cols]].copy()
    table.columns = [c.split(".", 1)[-1] for c in table.columns]
    return table


def _compact(runs: pd.DataFrame, cols: list[str]) -> list[str]:
    """Drop params implied by others: a group's settings when its ``name`` varies, and copies."""
    named = {c.rsplit(".", 1)[0] for c in cols if c.endswith(".name")}
    kept = [c for c in cols if c.endswith(".name") or c.rsplit(".", 1)[0] not in named]
    out: list[str] = []
    for c in sorted(kept, key=len):
        if not any(runs[c].astype(str).equals(runs[o].astype(str)) for o in out):
            out.append(c)
    return [c for c in cols if c in out]


def to_markdown(table: pd.DataFrame, digits: int = 3) -> str:
    """Render a results table as Markdown."""

    def fmt(v: object) -> str:
        if isinstance(v, float):
            return "" if pd.isna(v) else f"{v:.{digits}f}".rstrip("0").rstrip(".")
        return str(v).replace("|", "\\|")

    head = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    rows = ["| " + " | ".join(fmt(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def update_readme(readme: Path, markdown: str, command: str) -> None:
    """Replace the text between the results markers of ``readme`` with a generated table."""
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{readme}: add the markers {START} and {END} where the table goes")
    stamp = dt.date.today().isoformat()
    block = f"{START}\n_Generated {stamp} by `{command}`._\n\n{markdown}\n{END}"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    readme.write_text(pattern.sub(lambda _: block, text), encoding="utf-8")

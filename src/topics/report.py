"""What a finished job prints: a compact topics table, the run id, how to open the MLflow UI."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from topics.context import Context


def mlflow_ui_command(uri: str) -> str:
    """The command that opens the MLflow UI on the runs stored at ``uri``."""
    if uri.startswith(("http://", "https://")):
        return f"open {uri} in a browser"
    return f"mlflow ui --backend-store-uri {shlex.quote(uri)} --port 5000"


def topics_lines(table: pd.DataFrame, max_topics: int = 12, max_words: int = 8) -> list[str]:
    """One line per topic: id, size and top words."""
    lines = []
    for row in table.head(max_topics).itertuples():
        words = " ".join(list(row.words)[:max_words])
        lines.append(f"  {row.topic:>3}  {row.size:>5}  {words}")
    if len(table) > max_topics:
        lines.append(f"  ... {len(table) - max_topics} more topics in topics/topics.csv")
    return lines


def console_summary(ctx: Context, run_id: str | None) -> str:
    """Render the end-of-run summary of a job context."""
    from topics.tracking import resolve_tracking_uri

    m = ctx.metrics
    lines = ["", "=" * 72, f"topics run finished: {ctx.cfg.experiment_name}"]
    if "data/n_units" in m:
        lines.append(
            f"corpus: {int(m['data/n_documents'])} documents, {int(m['data/n_units'])} "
            f"units ({ctx.cfg.preprocess.unit}s), {int(m['data/lines_dropped'])} "
            "boilerplate lines dropped"
        )
    if "embedding/cache_hits" in m:
        lines.append(
            f"embeddings: {ctx.cfg.embedding.name}, cache hits "
            f"{int(m['embedding/cache_hits'])} / misses {int(m['embedding/cache_misses'])}"
        )
    result = ctx.topics
    if result is not None:
        lines.append(
            f"topics: {result.n_topics} (outliers {result.outlier_ratio_before:.0%} before "
            f"reduction, {result.outlier_ratio_after:.0%} after)"
        )
        if "topics/npmi_mean" in m:
            lines.append(
                f"quality: NPMI {m['topics/npmi_mean']:.3f}, diversity "
                f"{m['topics/diversity']:.3f}"
                + (f", NMI to labels {m['topics/nmi']:.3f}" if "topics/nmi" in m else "")
            )
        if "stability/ari_mean" in m:
            lines.append(
                f"stability over {int(m['stability/n_runs'])} refits: ARI "
                f"{m['stability/ari_mean']:.2f}, topic match "
                f"{m['stability/topic_match_jaccard']:.2f}, topics "
                f"{int(m['stability/n_topics_min'])}-{int(m['stability/n_topics_max'])}"
            )
        lines.append("  id   size  top words")
        lines += topics_lines(result.topics_table)
    for key in ("themes/macro_f1", "themes/micro_f1"):
        if key in m:
            lines.append(f"{key}: {m[key]:.3f}")
    prefix = str(ctx.cfg.data.get("name") or "single_label")
    if f"{prefix}/accuracy" in m:
        lines.append(
            f"{prefix} ({ctx.cfg.classifier.get('name')}, eval split of "
            f"{int(m.get(f'{prefix}/n_dev', 0))} texts): accuracy {m[f'{prefix}/accuracy']:.4f}, "
            f"macro-F1 {m[f'{prefix}/macro_f1']:.4f}"
        )
    lines.append(f"outputs: {ctx.out}")
    if (ctx.out / "report" / "report.html").is_file():
        lines.append(f"report: {ctx.out / 'report' / 'report.html'}")
    if run_id:
        lines.append(f"MLflow run id: {run_id}")
        if ctx.cfg.tracking.enabled:
            lines.append(f"open the UI: {mlflow_ui_command(resolve_tracking_uri(ctx.cfg))}")
    lines.append("=" * 72)
    return "\n".join(lines)

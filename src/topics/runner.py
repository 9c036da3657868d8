"""One experiment job: the pipeline stages in order, recorded as one MLflow run.

:func:`run` is a plain function of a composed config, so tests call it directly; the Hydra
application ``topics-run`` (:mod:`topics.cli.run`) is a thin shell around it.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from topics.context import Context
from topics.hashing import corpus_fingerprint
from topics.report import console_summary

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a job leaves behind: its MLflow run, its folder, its metrics."""

    run_id: str | None
    output_dir: Path
    metrics: dict[str, float] = field(default_factory=dict)
    objective: float | None = None


def seed_everything(seed: int | None) -> None:
    """Seed Python, NumPy and torch, so that a rerun reproduces.

    Python's hash seed cannot be set from inside a running process, and nothing needs it: the
    pipeline never orders by a set or dict of strings (tests/reproducibility runs jobs under
    different ``PYTHONHASHSEED`` values and compares them).
    """
    if seed is None:
        return
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover - torch is a core dependency
        pass


def configure_output(quiet: bool) -> None:
    """Keep third-party chatter out of the console; with ``quiet``, only warnings and the summary."""
    for name in (
        "jieba",
        "sentence_transformers",
        "transformers",
        "httpx",
        "alembic",
        "mlflow.store",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        import jieba

        jieba.setLogLevel(logging.WARNING)
    except ImportError:  # pragma: no cover - jieba is a core dependency
        pass
    if quiet:
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        logging.getLogger().setLevel(logging.WARNING)
        logging.getLogger("topics").setLevel(logging.WARNING)


def _input_key(ctx: Context) -> str:
    """Key of the corpus: the resolved data config and its files' sizes and times."""
    from topics.paths import seeds_dir
    from topics.shared import file_stamp, make_key

    data = OmegaConf.to_container(ctx.cfg.data, resolve=True)
    paths = [data.get(k) for k in ("path", "eval_path", "label_names_path")]  # type: ignore[union-attr]
    if data.get("format") == "manifest" and not data.get("path"):  # type: ignore[union-attr]
        paths.append(seeds_dir())
    return make_key(data, file_stamp(paths))


def _stage_data(ctx: Context) -> None:
    from topics.data import load_documents
    from topics.shared import recall

    ctx.input_key = _input_key(ctx)
    docs, _ = recall("documents", ctx.input_key, lambda: load_documents(ctx.cfg.data))
    ctx.documents = docs
    ctx.log_metrics({"data/n_documents_read": len(docs)})


def _stage_preprocess(ctx: Context) -> None:
    from topics.preprocess.pipeline import preprocess_documents
    from topics.shared import make_key, recall

    documents = ctx.need_documents()
    key = make_key(
        ctx.input_key or id(documents),
        OmegaConf.to_container(ctx.cfg.preprocess, resolve=True),
    )
    result, _ = recall(
        "preprocess", key, lambda: preprocess_documents(documents, ctx.cfg.preprocess)
    )
    if result.units.empty:
        raise ValueError(
            "preprocess left no units: every line was dropped as boilerplate or duplicate; "
            "see the ingestion report, or set preprocess.boilerplate.enabled=false"
        )
    out = ctx.out / "data"
    result.write(out)
    ctx.rec.log_dir(out, "data")
    ctx.preprocess = result
    units = result.units
    ctx.rec.set_tags(
        {
            "corpus_fingerprint": corpus_fingerprint(units.norm.tolist()),
            "corpus": str(ctx.cfg.data.name),
        }
    )
    table = result.summary_table()
    ctx.log_metrics(
        {
            "data/n_documents": int((result.documents.n_units > 0).sum()),
            "data/n_units": len(units),
            "data/n_duplicates": len(result.duplicates),
            "data/lines_kept": int(table.lines_kept.sum()),
            "data/lines_dropped": int(table.lines_dropped.sum()),
            "data/mean_unit_chars": float(units.text.str.len().mean()),
        }
    )


def _stage_embedding(ctx: Context) -> None:
    from topics.embedding import build_embedder

    units = ctx.need_units()
    embedder = build_embedder(ctx.cfg.embedding, tokenizer=ctx.tokenizer(), compute=ctx.compute())
    vectors = embedder.embed(units.norm.tolist())
    ctx.embedder, ctx.embeddings = embedder, vectors
    metrics = {"embedding/dim": vectors.shape[1], "embedding/n_units": vectors.shape[0]}
    cache = getattr(embedder, "cache", None)
    if cache is not None:
        stats = cache.stats
        metrics.update(
            {
                "embedding/cache_hits": stats["hits"],
                "embedding/cache_misses": stats["misses"],
                "embedding/cache_hit_ratio": stats["hit_ratio"],
            }
        )
        log.info("embedding cache: %d hits, %d misses", stats["hits"], stats["misses"])
    ctx.log_metrics(metrics)


def _stage_topic_model(ctx: Context) -> None:
    from topics.reproducibility import fixed_threads
    from topics.topic_model.stage import run_topic_stage

    # one BLAS/OpenMP/numba thread: the fits then do not depend on the machine's core count
    with fixed_threads(1):
        run_topic_stage(ctx)


def _stage_themes(ctx: Context) -> None:
    from topics.classifier.stage import run_theme_stage

    run_theme_stage(ctx)


STAGES: dict[str, Callable[[Context], None]] = {
    "data": _stage_data,
    "preprocess": _stage_preprocess,
    "embedding": _stage_embedding,
    "topic_model": _stage_topic_model,
    "themes": _stage_themes,
}


def _job_dir(output_dir: str | Path | None) -> Path:
    if output_dir is not None:
        return Path(output_dir)
    from hydra.core.hydra_config import HydraConfig

    return Path(HydraConfig.get().runtime.output_dir)


def run(cfg: DictConfig, output_dir: str | Path | None = None) -> RunResult:
    """Run the configured stages as one MLflow run.

    Args:
        cfg: The composed root config.
        output_dir: The job folder; default: Hydra's ``runtime.output_dir``.

    Returns:
        The run id, job folder and metrics.
    """
    from topics.tracking import tracked_run

    out = _job_dir(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    configure_output(bool(cfg.quiet) or os.environ.get("CI", "").lower() in {"1", "true"})
    unknown = [s for s in cfg.stages if s not in STAGES]
    if unknown:
        from topics.data.types import InputError

        raise InputError(f"stages: unknown stage(s) {unknown}; choose from {list(STAGES)}")
    from topics.tracking.naming import job_run_name

    name = job_run_name(cfg.run_name)
    with tracked_run(cfg, out, cfg.experiment_name, run_name=name) as rec:
        # seeded after the run is opened, so MLflow's random run names still differ between runs
        seed_everything(cfg.seed)
        ctx = Context(cfg=cfg, out=out, rec=rec)
        start = time.perf_counter()
        try:
            for stage in cfg.stages:
                with ctx.timed(stage):
                    STAGES[stage](ctx)
        finally:
            ctx.close()
        from topics.reproducibility import provenance

        rec.set_tags(provenance())  # after the stages: what numba actually compiled for
        ctx.log_metrics({"time/total_s": time.perf_counter() - start})
        from topics.reporting.stage import write_run_report

        with ctx.timed("report"):
            write_run_report(ctx, name)
        run_id = ctx.run_id
        print(console_summary(ctx, run_id))
    objective = objective_value(ctx.metrics, cfg.objective_metric)
    return RunResult(run_id=run_id, output_dir=out, metrics=ctx.metrics, objective=objective)


def objective_value(metrics: dict[str, float], name: str | None) -> float | None:
    """Return the metric ``objective_metric`` names for a sweeper; ``None`` when it is unset.

    Raises:
        InputError: ``name`` is not among the run's metrics (the message lists them).
    """
    if name is None:
        return None
    if name not in metrics:
        from topics.data.types import InputError

        raise InputError(
            f"objective_metric={name!r} is not a metric of this run; set it to one of "
            f"{sorted(metrics)}, or to null"
        )
    return float(metrics[name])


def resolved_config(cfg: DictConfig) -> dict[str, Any]:
    """The resolved config as plain containers (for reports)."""
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]

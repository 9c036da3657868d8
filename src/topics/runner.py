"""One experiment job: the pipeline stages in order, recorded as one MLflow run.

:func:`run` is a plain function of a composed config, so tests call it directly; the Hydra
application ``topics-run`` (:mod:`topics.cli.run`) is a thin shell around it.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

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


@dataclass
class Context:
    """State passed from stage to stage within one job."""

    cfg: DictConfig
    out: Path
    rec: Any
    metrics: dict[str, float] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def log_metrics(self, metrics: dict[str, float]) -> None:
        """Record metrics in MLflow and in the job's result."""
        clean = {k: float(v) for k, v in metrics.items() if v is not None}
        self.metrics.update(clean)
        self.rec.log_metrics(clean)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Time a stage into ``time/<stage>_s``."""
        start = time.perf_counter()
        log.info("stage %s ...", stage)
        yield
        seconds = time.perf_counter() - start
        log.info("stage %s done in %.1f s", stage, seconds)
        self.log_metrics({f"time/{stage}_s": seconds})

    def tokenizer(self) -> Any:
        """The project tokenizer (``tokenizer`` config), built on first use."""
        if "tokenizer" not in self.state:
            from topics.tokenize import build_tokenizer

            self.state["tokenizer"] = build_tokenizer(self.cfg.tokenizer)
        return self.state["tokenizer"]

    def compute(self) -> Any:
        """The compute backend (``compute`` config), built on first use, closed by :func:`run`."""
        if "compute" not in self.state:
            from topics.compute import build_compute

            self.state["compute"] = build_compute(self.cfg.get("compute"))
        return self.state["compute"]

    def unit_tokens(self) -> list[list[str]]:
        """Every unit's tokens, filtered like the topic vectorizer; cut once per job.

        Shared by c-TF-IDF and coherence, and by the next job of a multirun while the units and
        the tokenizer are the same.
        """
        if "unit_tokens" not in self.state:
            from topics.evaluation import unit_tokens
            from topics.shared import make_key, recall

            texts = self.state["preprocess"].units.norm.tolist()
            token_filter = bool(self.cfg.topic_model.vectorizer.get("token_filter", True))
            tokenizer = self.tokenizer()
            fingerprint = getattr(tokenizer, "fingerprint", None)
            key = make_key(
                corpus_fingerprint(texts),
                fingerprint() if callable(fingerprint) else repr(tokenizer),
                OmegaConf.to_container(self.cfg.tokenizer, resolve=True),
                token_filter,
            )
            with self.timed("tokenize"):
                self.state["unit_tokens"], _ = recall(
                    "unit_tokens", key, lambda: unit_tokens(texts, tokenizer, token_filter)
                )
        return self.state["unit_tokens"]


def seed_everything(seed: int | None) -> None:
    """Seed Python, NumPy and torch, so that a rerun reproduces."""
    if seed is None:
        return
    random.seed(seed)
    np.random.seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover - torch is a core dependency
        pass


def configure_output(quiet: bool) -> None:
    """Keep third-party chatter out of the console; with ``quiet``, only warnings and the summary."""
    for name in ("jieba", "sentence_transformers", "transformers", "httpx", "alembic"):
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

    ctx.state["input_key"] = _input_key(ctx)
    docs, _ = recall("documents", ctx.state["input_key"], lambda: load_documents(ctx.cfg.data))
    ctx.state["documents"] = docs
    ctx.log_metrics({"data/n_documents_read": len(docs)})


def _stage_preprocess(ctx: Context) -> None:
    from topics.preprocess.pipeline import preprocess_documents
    from topics.shared import make_key, recall

    key = make_key(
        ctx.state.get("input_key") or id(ctx.state["documents"]),
        OmegaConf.to_container(ctx.cfg.preprocess, resolve=True),
    )
    result, _ = recall(
        "preprocess", key, lambda: preprocess_documents(ctx.state["documents"], ctx.cfg.preprocess)
    )
    if result.units.empty:
        raise ValueError(
            "preprocess left no units: every line was dropped as boilerplate or duplicate; "
            "see the ingestion report, or set preprocess.boilerplate.enabled=false"
        )
    out = ctx.out / "data"
    result.write(out)
    ctx.rec.log_dir(out, "data")
    ctx.state["preprocess"] = result
    units = result.units
    ctx.rec.set_tags(
        {
            "corpus_fingerprint": corpus_fingerprint(units.norm.tolist()),
            "corpus": str(ctx.cfg.data.get("name", "?")),
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

    units = ctx.state["preprocess"].units
    embedder = build_embedder(ctx.cfg.embedding, tokenizer=ctx.tokenizer(), compute=ctx.compute())
    vectors = embedder.embed(units.norm.tolist())
    ctx.state["embedder"], ctx.state["embeddings"] = embedder, vectors
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
    from topics.topic_model.stage import run_topic_stage

    run_topic_stage(ctx)


def _stage_themes(ctx: Context) -> None:
    from topics.classifier.stage import run_theme_stage

    ctx.tokenizer()
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
    configure_output(bool(cfg.get("quiet")) or os.environ.get("CI", "").lower() in {"1", "true"})
    unknown = [s for s in cfg.stages if s not in STAGES]
    if unknown:
        raise ValueError(f"stages: unknown stage(s) {unknown}; choose from {list(STAGES)}")
    with tracked_run(cfg, out, cfg.tracking.experiment_name, run_name=cfg.get("run_name")) as rec:
        # seeded after the run is opened, so MLflow's random run names still differ between runs
        seed_everything(cfg.get("seed"))
        ctx = Context(cfg=cfg, out=out, rec=rec)
        start = time.perf_counter()
        try:
            for stage in cfg.stages:
                with ctx.timed(stage):
                    STAGES[stage](ctx)
        finally:
            compute = ctx.state.pop("compute", None)
            if compute is not None:
                compute.close()
        ctx.log_metrics({"time/total_s": time.perf_counter() - start})
        run_id = getattr(rec, "run_id", None)
        print(console_summary(ctx, run_id))
    objective = objective_value(ctx.metrics, cfg.get("objective_metric"))
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

"""The topic-model stage of a run: fit, write topics and figures, score quality and stability.

:func:`run_topic_stage` works on the job context of :mod:`topics.runner` (``ctx.cfg``,
``ctx.state``, ``ctx.tokenizer()``, ``ctx.compute()``, ``ctx.unit_tokens()``, ``ctx.timed``,
``ctx.log_metrics``, ``ctx.rec``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from topics.topic_model.fit import TopicResult


def _theme_topics(ctx: Any) -> tuple[dict | None, dict | None]:
    """Seed word lists and zero-shot descriptions from the theme taxonomy, when asked for."""
    tm = ctx.cfg.topic_model
    if not (tm.get("guided") or tm.get("zeroshot")):
        return None, None
    from topics.themes import load_taxonomy

    themes = load_taxonomy(ctx.cfg.get("themes"))
    seeds = {t.id: list(t.keywords_zh) for t in themes}
    zeroshot = {f"{t.name_zh} {t.name_en}": t.description_zh for t in themes}
    return seeds, zeroshot


def _builder(ctx: Any) -> Any:
    """``build(seed=None)``: an unfitted model from the run's config, the seed replaced if given."""
    from topics.topic_model import build_topic_model

    seed_topics, zeroshot = _theme_topics(ctx)

    def build(seed: int | None = None) -> Any:
        tm = ctx.cfg.topic_model
        if seed is not None:
            tm = OmegaConf.merge(tm, {"seed": seed})
        return build_topic_model(
            tm,
            ctx.tokenizer(),
            embedder=ctx.state["embedder"],
            seed_topics=seed_topics,
            zeroshot_topics=zeroshot,
        )

    return build


def write_topic_tables(result: TopicResult, out: Path) -> None:
    """``topics.json``, ``topics.csv``, ``assignments.parquet`` and ``doc_topic_mix.csv``."""
    out.mkdir(parents=True, exist_ok=True)
    table = result.topics_table
    table.to_json(out / "topics.json", orient="records", force_ascii=False, indent=1)
    flat = table.assign(words=table.words.map(" ".join)).drop(columns=["representatives"])
    flat.to_csv(out / "topics.csv", index=False)
    result.assignments.to_parquet(out / "assignments.parquet", index=False)
    result.doc_topic_mix.to_csv(out / "doc_topic_mix.csv")


def _stability(ctx: Any, build: Any, texts: list[str], out: Path) -> None:
    """Refit the topic model over seeds and unit orders; log how much the topics move."""
    from topics.evaluation import stability_report

    st = ctx.cfg.stability
    units = ctx.state["preprocess"].units
    report = stability_report(
        build,
        texts,
        ctx.state["embeddings"],
        units.unit_id.tolist(),
        units.doc_id.tolist(),
        n_runs=int(st.n_runs),
        seed=int(ctx.cfg.seed),
        shuffle=bool(st.shuffle),
        top_n=int(st.top_n),
        token_lists=ctx.unit_tokens(),
    )
    report.runs.to_csv(out / "stability_runs.csv", index=False)
    report.pairs.to_csv(out / "stability_pairs.csv", index=False)
    ctx.log_metrics(report.metrics)


def run_topic_stage(ctx: Any) -> None:
    """Fit the topic model on the run's units and record its outputs and quality."""
    from topics.evaluation import evaluate_topics
    from topics.reporting.dynamics import article_titles
    from topics.topic_model import fit_topics, save_topic_model, write_figures

    units = ctx.state["preprocess"].units
    texts = units.norm.tolist()
    build = _builder(ctx)
    model = build()
    result = fit_topics(
        model,
        texts,
        ctx.state["embeddings"],
        units.unit_id.tolist(),
        units.doc_id.tolist(),
        compute=ctx.compute(),
        token_lists=ctx.unit_tokens(),
    )
    ctx.state["topic_model"], ctx.state["topics"] = model, result
    out = ctx.out / "topics"
    write_topic_tables(result, out)
    save_topic_model(model, out / "model")
    if ctx.cfg.get("figures", True):
        with ctx.timed("figures"):
            write_figures(
                model,
                result,
                ctx.state["embeddings"],
                out / "figures",
                texts=texts,
                seed=ctx.cfg.get("seed"),
                titles=article_titles(ctx.state["preprocess"].documents),
            )
    labels = units.label
    quality = evaluate_topics(
        result,
        ctx.unit_tokens(),
        labels=labels.tolist() if labels.notna().any() else None,
        top_n=int(ctx.cfg.topic_model.top_n_words),
    )
    quality.per_topic.to_csv(out / "topic_quality.csv", index=False)
    if ctx.cfg.stability.get("enabled"):
        with ctx.timed("stability"):
            _stability(ctx, build, texts, out)
    ctx.rec.log_dir(out, "topics")
    ctx.log_metrics(quality.metrics)

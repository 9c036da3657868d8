"""The topic-model stage of a run: fit, write topics and figures, score quality and stability.

:func:`run_topic_stage` reads the units and embeddings from the job's :class:`~topics.context.Context`
and sets its ``topic_model`` and ``topics``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from bertopic import BERTopic
from omegaconf import DictConfig, OmegaConf

from topics.hashing import corpus_fingerprint
from topics.topic_model.components import scaled_min_cluster_size
from topics.topic_model.fit import TopicResult

if TYPE_CHECKING:
    from topics.context import Context

#: ``build(seed=None)``: an unfitted topic model from the run's config
Build = Callable[[int | None], BERTopic]
#: ``refit(seed, positions)``: the configured model fitted on some of the units
Refit = Callable[[int, np.ndarray], TopicResult]


def unit_tokens(ctx: Context) -> list[list[str]]:
    """Every unit's tokens, filtered like the topic vectorizer.

    Shared by c-TF-IDF and coherence, and (through :func:`topics.shared.recall`) by the next job
    of a multirun while the units and the tokenizer are the same.
    """
    from topics.evaluation import unit_tokens as cut
    from topics.shared import make_key, recall

    texts = ctx.need_units().norm.tolist()
    token_filter = bool(ctx.cfg.topic_model.vectorizer.token_filter)
    tokenizer = ctx.tokenizer()
    key = make_key(
        corpus_fingerprint(texts),
        tokenizer.fingerprint(),
        OmegaConf.to_container(ctx.cfg.tokenizer, resolve=True),
        token_filter,
    )
    with ctx.timed("tokenize"):
        tokens, _ = recall("unit_tokens", key, lambda: cut(texts, tokenizer, token_filter))
    return tokens


def _theme_topics(ctx: Context) -> tuple[dict | None, dict | None]:
    """Seed word lists and zero-shot descriptions from the theme taxonomy, when asked for."""
    tm = ctx.cfg.topic_model
    if not (tm.guided or tm.zeroshot):
        return None, None
    from topics.themes import load_taxonomy

    themes = load_taxonomy(ctx.cfg.themes)
    seeds = {t.id: list(t.keywords_zh) for t in themes}
    zeroshot = {f"{t.name_zh} {t.name_en}": t.description_zh for t in themes}
    return seeds, zeroshot


def _builder(ctx: Context, conf: DictConfig | None = None) -> Build:
    """``build(seed=None)``: an unfitted model from ``conf``, the seed replaced if given.

    ``conf`` defaults to the run's ``topic_model``.
    """
    from topics.topic_model import build_topic_model

    seed_topics, zeroshot = _theme_topics(ctx)

    embedder = ctx.need_embedder()

    def build(seed: int | None = None) -> BERTopic:
        tm = ctx.cfg.topic_model if conf is None else conf
        if seed is not None:
            tm = OmegaConf.merge(tm, {"seed": seed})
        return build_topic_model(
            tm,
            ctx.tokenizer(),
            embedder=embedder,
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


def refit_conf(conf: DictConfig, n_drawn: int, n_units: int, scale: bool) -> DictConfig:
    """The ``topic_model`` config of a stability refit that draws ``n_drawn`` of ``n_units``.

    With ``scale`` (``stability.scale_min_cluster_size``), ``min_cluster_size`` (and the
    clusterer's own, when it has one) shrinks with the share of units drawn, as the consensus
    does for its models, so that a refit cuts at the grain of the job's fit; otherwise ``conf``.
    """
    if not scale or n_drawn >= n_units:
        return conf
    fraction = n_drawn / n_units
    changes: dict[str, object] = {
        "min_cluster_size": scaled_min_cluster_size(conf.min_cluster_size, fraction)
    }
    own = conf.clustering.get("min_cluster_size")
    if own is not None:
        changes["clustering"] = {"min_cluster_size": scaled_min_cluster_size(own, fraction)}
    return OmegaConf.merge(conf, changes)


def _refit(ctx: Context, build: Build, texts: list[str], tokens: list[list[str]]) -> Refit:
    """The stability mode's refit: the configured model (consensus too) on some units."""
    from topics.topic_model.fitting import fit_configured

    units = ctx.need_units()
    vectors = ctx.need_embeddings()
    unit_ids, doc_ids = units.unit_id.tolist(), units.doc_id.tolist()
    scale = bool(ctx.cfg.stability.scale_min_cluster_size)

    def refit(seed: int, positions: np.ndarray) -> TopicResult:
        conf = refit_conf(ctx.cfg.topic_model, len(positions), len(texts), scale)
        return fit_configured(
            conf,
            build if conf is ctx.cfg.topic_model else _builder(ctx, conf),
            [texts[k] for k in positions],
            vectors[positions],
            [unit_ids[k] for k in positions],
            [doc_ids[k] for k in positions],
            seed=seed,
            token_lists=[tokens[k] for k in positions],
        ).result

    return refit


def _stability(
    ctx: Context,
    build: Build,
    texts: list[str],
    tokens: list[list[str]],
    out: Path,
    result: TopicResult,
) -> None:
    """Refit the topic model over seeds, resamples and unit orders; log how much topics move."""
    from topics.evaluation import stability_report
    from topics.topic_model.fitting import add_stability

    st = ctx.cfg.stability
    units = ctx.need_units()
    report = stability_report(
        None,
        texts,
        ctx.need_embeddings(),
        units.unit_id.tolist(),
        units.doc_id.tolist(),
        n_runs=int(st.n_runs),
        seed=int(ctx.cfg.seed),
        shuffle=bool(st.shuffle),
        top_n=int(st.top_n),
        token_lists=tokens,
        resample=str(st.resample),
        sample_fraction=float(st.sample_fraction),
        refit=_refit(ctx, build, texts, tokens),
        reference=result.assignments.topic_before_outlier_reduction.to_numpy(),
    )
    add_stability(result, report.topic_stability, "refit_stability")
    sizes = [
        refit_conf(
            ctx.cfg.topic_model, int(k), len(texts), bool(st.scale_min_cluster_size)
        ).min_cluster_size
        for k in report.runs.n_drawn
    ]
    report.runs.assign(min_cluster_size=sizes).to_csv(out / "stability_runs.csv", index=False)
    report.pairs.to_csv(out / "stability_pairs.csv", index=False)
    ctx.log_metrics(report.metrics)


def _reference_tokens(ctx: Context) -> list[list[str]] | None:
    """Token lists of ``coherence.reference`` (read and cut once per multirun), or ``None``."""
    from topics.evaluation.reference import reference_config, reference_tokens
    from topics.shared import file_stamp, make_key, recall

    coherence = ctx.cfg.get("coherence")
    cfg = reference_config(
        OmegaConf.to_container(coherence, resolve=True) if coherence is not None else None,
        OmegaConf.to_container(ctx.cfg.data, resolve=True),
    )
    if cfg is None:
        return None
    token_filter = bool(ctx.cfg.topic_model.vectorizer.token_filter)
    tokenizer = ctx.tokenizer()
    key = make_key(cfg, file_stamp([cfg.get("path")]), tokenizer.fingerprint(), token_filter)
    with ctx.timed("reference_tokens"):
        tokens, _ = recall(
            "reference_tokens", key, lambda: reference_tokens(cfg, tokenizer, token_filter)
        )
    return tokens


def _stability_metrics(result: TopicResult, threshold: float) -> dict[str, float]:
    """Mean and least stability of the topics, and how many fall below ``threshold``."""
    from topics.topic_model.fitting import STABILITY_COLUMN

    table = result.topics_table
    if STABILITY_COLUMN not in table:
        return {}
    values = table.loc[table.topic != -1, STABILITY_COLUMN].dropna()
    if values.empty:
        return {}
    return {
        "topics/stability_mean": float(values.mean()),
        "topics/stability_min": float(values.min()),
        "topics/n_unstable": float((values < threshold).sum()),
    }


def _recurrence(ctx: Context) -> float:
    """Stability below which a topic counts as unstable (``topic_model.consensus``)."""
    return float(ctx.cfg.topic_model.consensus.min_recurrence)


def run_topic_stage(ctx: Context) -> None:
    """Fit the topic model on the run's units and record its outputs and quality."""
    from topics.evaluation import evaluate_topics
    from topics.reporting.dynamics import article_titles
    from topics.topic_model import save_topic_model, write_figures
    from topics.topic_model.fitting import fit_configured

    pre = ctx.need_preprocess()
    units, vectors = pre.units, ctx.need_embeddings()
    texts = units.norm.tolist()
    tokens = unit_tokens(ctx)
    build = _builder(ctx)
    fitted = fit_configured(
        ctx.cfg.topic_model,
        build,
        texts,
        vectors,
        units.unit_id.tolist(),
        units.doc_id.tolist(),
        compute=ctx.compute(),
        token_lists=tokens,
    )
    model, result = fitted.model, fitted.result
    ctx.topic_model, ctx.topics = model, result
    out = ctx.out / "topics"
    out.mkdir(parents=True, exist_ok=True)
    write_topic_tables(result, out)
    save_topic_model(model, out / "model")
    if ctx.cfg.figures:
        with ctx.timed("figures"):
            write_figures(
                model,
                result,
                vectors,
                out / "figures",
                texts=texts,
                seed=ctx.cfg.seed,
                stability_threshold=_recurrence(ctx),
                titles=article_titles(pre.documents),
            )
    labels = units.label
    quality = evaluate_topics(
        result,
        tokens,
        labels=labels.tolist() if labels.notna().any() else None,
        top_n=int(ctx.cfg.topic_model.top_n_words),
        reference=_reference_tokens(ctx),
        reference_window=ctx.cfg.coherence.window,
    )
    quality.per_topic.to_csv(out / "topic_quality.csv", index=False)
    ctx.log_metrics({**quality.metrics, **_stability_metrics(result, _recurrence(ctx))})
    # the stability mode refits last: the fit's metrics are in MLflow while it runs
    if ctx.cfg.stability.enabled:
        with ctx.timed("stability"):
            _stability(ctx, build, texts, tokens, out, result)
        write_topic_tables(result, out)  # with the refit_stability column
    ctx.rec.log_dir(out, "topics")

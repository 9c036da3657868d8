"""The theme stage of a run: evaluate the configured classifier, tag every unit, profile articles.

What the stage does is the explicit ``theme_stage.mode`` (``configs/config.yaml``; each data
config sets ``theme_mode``):

* ``evaluate``: score the classifier on the seed gold paragraphs (cut with this run's
  ``preprocess`` config in paragraph units; the run's own units when they are those paragraphs)
  under the protocols listed in ``theme_stage.protocols`` (``A``: trained on the authored set
  only; ``B``: leave-one-article-out with the authored set in every training fold; gold-only
  training has leave-one-article-out only), then fit on all the training data and tag the units.
* ``tag``: fit on the training data and tag the units; nothing is scored.
* ``single_label``: train on the labeled corpus' train split and score its eval split
  (``data=thucnews``: accuracy, macro-F1).

The training data is ``theme_stage.training`` (``authored``: the authored set of
``seeds/themes/``; ``gold``: the hand-labelled seed paragraphs).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from topics.classifier.methods.base import ThemeClassifier
from topics.classifier.protocols.authored import LabeledSet, ProtocolResult, concat
from topics.classifier.protocols.loao import EvaluationResult
from topics.data.types import InputError

if TYPE_CHECKING:
    from topics.context import Context
    from topics.embedding.base import Embedder

log = logging.getLogger(__name__)

MODES = ("evaluate", "tag", "single_label")
TRAINING = ("authored", "gold")
#: protocols the stage can run (C needs no refit and is left to scripts/theme_protocols.py)
STAGE_PROTOCOLS = ("A", "B")


@dataclass(frozen=True)
class StageSettings:
    """``theme_stage``, checked: what the stage does and with which data."""

    mode: str
    training: tuple[str, ...]
    protocols: tuple[str, ...]
    n_resamples: int
    log_model: bool
    n_train: int | None
    n_dev: int | None

    @classmethod
    def from_config(cls, node: DictConfig) -> StageSettings:
        """Read and check ``theme_stage``; a bad value fails naming the key and the choices."""
        mode = str(node.mode)
        if mode not in MODES:
            raise InputError(f"theme_stage.mode={mode!r}; choose one of {list(MODES)}")
        training = tuple(node.training or ())
        if not training or set(training) - set(TRAINING):
            raise InputError(
                f"theme_stage.training={list(training)}; use a non-empty subset of {list(TRAINING)}"
            )
        protocols = tuple(node.protocols or ())
        if set(protocols) - set(STAGE_PROTOCOLS):
            raise InputError(
                f"theme_stage.protocols={list(protocols)}; use a subset of {list(STAGE_PROTOCOLS)}"
            )
        return cls(
            mode=mode,
            training=training,
            protocols=protocols,
            n_resamples=int(node.n_resamples),
            log_model=bool(node.log_model),
            n_train=None if node.n_train is None else int(node.n_train),
            n_dev=None if node.n_dev is None else int(node.n_dev),
        )


def _method_cfg(cfg: DictConfig) -> dict[str, Any]:
    return OmegaConf.to_container(cfg.classifier, resolve=True)  # type: ignore[return-value]


def _embedder(ctx: Context) -> Embedder | None:
    """Return the run's embedder, or one built from ``embedding`` if the classifier needs it.

    A job without the ``embedding`` stage (``stages=[data,preprocess,themes]``) has no embedder;
    a method that embeds (``stacked_mix``, ``stacked``) gets one, keywords-only methods none.
    """
    from topics.classifier.methods.registry import METHODS

    if ctx.embedder is not None:
        return ctx.embedder
    method = METHODS.get(str(ctx.cfg.classifier.method))
    if method is None or not method.needs_embeddings:
        return None
    from topics.embedding import build_embedder

    return build_embedder(ctx.cfg.embedding, tokenizer=ctx.tokenizer(), compute=ctx.compute())


def _gold_set(units: pd.DataFrame, Y: np.ndarray) -> LabeledSet:
    return LabeledSet(
        units.norm.tolist(), Y, units.doc_id.astype(str).to_numpy(), units.unit_id.tolist()
    )


@dataclass(frozen=True)
class GoldUnits:
    """The seed gold paragraphs the stage scores and trains on, with their labels."""

    units: pd.DataFrame
    Y: np.ndarray
    vectors: np.ndarray | None
    topics: np.ndarray | None
    are_run_units: bool


def _gold_units(ctx: Context, ids: list[str]) -> GoldUnits:
    """The run's units when they carry the gold labels, else the seed paragraphs cut anew.

    The seed articles are cut with this run's ``preprocess`` config in paragraph units (the unit
    the gold labels belong to), and embedded with the run's embedder.
    """
    from topics.data.seeds import read_manifest_corpus
    from topics.preprocess.pipeline import preprocess_documents
    from topics.themes import check_gold, label_matrix, load_gold

    gold = load_gold(theme_ids=ids)
    units = ctx.need_units()
    if check_gold(gold, units).ok:
        topics = None if ctx.topics is None else ctx.topics.assignments.topic.to_numpy()
        Y = label_matrix(gold, units, ids)
        return GoldUnits(units, Y, ctx.embeddings, topics, are_run_units=True)
    conf = OmegaConf.merge(ctx.cfg.preprocess, {"unit": "paragraph"})
    seed_units = preprocess_documents(list(read_manifest_corpus()), conf).units
    check = check_gold(gold, seed_units)
    if not check.ok:
        raise InputError(
            "theme_stage: the seed gold labels do not match the seed paragraphs cut with this "
            f"run's preprocess config ({check.describe()}); use preprocess=default or "
            "theme_stage.training=[authored]"
        )
    vectors = None
    if ctx.embedder is not None:
        vectors = np.asarray(ctx.embedder.embed(seed_units.norm.tolist()))
    Y = label_matrix(gold, seed_units, ids)
    return GoldUnits(seed_units, Y, vectors, None, are_run_units=False)


def _evaluate(
    ctx: Context, st: StageSettings, clf: ThemeClassifier, gold: GoldUnits, authored: LabeledSet
) -> EvaluationResult:
    """Score ``clf`` under the configured protocols; the first listed is the headline."""
    from topics.classifier import evaluate
    from topics.classifier.protocols.authored import protocol_a, protocol_b

    seed, n, name = ctx.cfg.seed, st.n_resamples, str(ctx.cfg.classifier.name)
    if "authored" not in st.training:
        return evaluate(
            clf,
            gold.units,
            gold.Y,
            embeddings=gold.vectors,
            topics=gold.topics,
            seed=seed,
            n_resamples=n,
        )
    if not st.protocols:
        raise InputError("theme_stage.protocols is empty; list A and/or B, or use mode=tag")
    data = _gold_set(gold.units, gold.Y)
    results: dict[str, ProtocolResult] = {}
    for protocol in st.protocols:
        if protocol == "A":
            results["A"], _ = protocol_a(clf, authored, data, name=name, n_resamples=n, seed=seed)
        else:
            results["B"] = protocol_b(clf, authored, data, name=name, n_resamples=n, seed=seed)
        ctx.log_metrics(
            {
                k.replace("themes/", f"themes/{protocol}/", 1): v
                for k, v in results[protocol].summary.items()
            }
        )
    headline = st.protocols[0]
    ctx.rec.set_tags({"themes/headline_protocol": headline})
    res = results[headline]
    return EvaluationResult(
        method=res.method,
        theme_ids=res.theme_ids,
        per_theme=res.per_theme,
        summary=res.summary,
        oof_scores=res.scores,
        oof_pred=res.pred,
        gold=res.gold,
        unit_ids=res.unit_ids,
        doc_ids=res.doc_ids,
        seconds=res.seconds,
    )


def run_theme_stage(ctx: Context) -> None:
    """Run the theme stage on a job context (see the module docstring for the modes)."""
    from topics.classifier import build_classifier, theme_profile, write_profile_heatmap
    from topics.reporting.dynamics import article_titles
    from topics.themes import label_stats, load_gold, load_taxonomy

    cfg = ctx.cfg
    st = StageSettings.from_config(cfg.theme_stage)
    if st.mode == "single_label":
        from topics.classifier.single_label_stage import run_single_label_stage

        run_single_label_stage(ctx, st.n_train, st.n_dev)
        return
    themes = load_taxonomy(cfg.themes)
    ids = [t.id for t in themes]
    pre = ctx.need_preprocess()
    units, vectors = pre.units, ctx.embeddings
    topics = None if ctx.topics is None else ctx.topics.assignments.topic.to_numpy()
    clf = build_classifier(
        _method_cfg(cfg), themes, tokenizer=ctx.tokenizer(), embedder=_embedder(ctx)
    )
    if clf.needs_topics and "authored" in st.training:
        raise InputError(
            f"classifier={clf.method} needs topic assignments, which the authored set does not "
            "have; set theme_stage.training=[gold]"
        )
    out = ctx.out / "themes"
    out.mkdir(parents=True, exist_ok=True)
    gold = _gold_units(ctx, ids) if "gold" in st.training or st.mode == "evaluate" else None
    if clf.needs_topics and (gold is None or not gold.are_run_units):
        raise InputError(
            f"classifier={clf.method} needs gold labels on this run's units; use it with the "
            "seed corpus in paragraph units (preprocess=default)"
        )
    authored = _authored(ctx, ids) if "authored" in st.training else None
    if st.mode == "evaluate":
        assert gold is not None
        res = _evaluate(ctx, st, clf, gold, authored)  # type: ignore[arg-type]
        res.per_theme.to_csv(out / "per_theme.csv")
        res.predictions_frame().to_parquet(out / "oof_predictions.parquet", index=False)
        res.write_figures(out / "figures", labels=[t.name_zh for t in themes])
        stats = label_stats(load_gold(theme_ids=ids), ids)
        stats.to_csv(out / "gold_label_stats.csv")
        ctx.log_metrics({k: v for k, v in res.summary.items() if isinstance(v, int | float)})
        ctx.log_metrics(
            {f"themes/gold/{item}": float(row["count"]) for item, row in stats.iterrows()}
        )
    fitted = _fit(clf, st, authored, gold)
    ctx.rec.set_tags({"themes/trained_on": _trained_on(authored, gold)})
    texts = units.norm.tolist()
    scores = fitted.predict_proba(texts, vectors, topics)
    pred = fitted.predict(texts, vectors, topics)
    table = units[["unit_id", "doc_id"]].copy()
    for j, theme in enumerate(ids):
        table[f"p_{theme}"] = scores[:, j]
    table["themes"] = [",".join(t for t, on in zip(ids, row, strict=True) if on) for row in pred]
    table.to_parquet(out / "predictions.parquet", index=False)
    profile = theme_profile(units, pred, ids)
    profile.to_csv(out / "profile.csv")
    write_profile_heatmap(
        profile.rename(index=article_titles(pre.documents, max_chars=30)),
        out / "profile.png",
        title=f"{cfg.classifier.name}: share of units per theme",
    )
    ctx.log_metrics({f"themes/share/{t}": float(pred[:, j].mean()) for j, t in enumerate(ids)})
    ctx.rec.log_dir(out, "themes")
    if st.log_model and ctx.run_id:
        _log_model(ctx, fitted, ids)


def _authored(ctx: Context, ids: list[str]) -> LabeledSet:
    from topics.classifier.protocols.report import authored_set

    return authored_set(ids, 5, int(ctx.cfg.seed or 0))


def _fit(
    clf: ThemeClassifier,
    st: StageSettings,
    authored: LabeledSet | None,
    gold: GoldUnits | None,
) -> ThemeClassifier:
    """Fit on the configured training data: the authored set and/or the gold paragraphs."""
    if authored is None:
        assert gold is not None
        return clf.spawn().fit(
            gold.units.norm.tolist(),
            gold.Y,
            gold.vectors,
            gold.topics,
            groups=gold.units.doc_id.tolist(),
        )
    data = authored
    if gold is not None and "gold" in st.training:
        data = concat(authored, _gold_set(gold.units, gold.Y))
    return clf.spawn().fit(data.texts, data.Y, groups=data.groups)


def _trained_on(authored: LabeledSet | None, gold: GoldUnits | None) -> str:
    parts = [] if authored is None else [f"authored set ({len(authored)} texts)"]
    if gold is not None:
        parts.append(f"seed gold ({len(gold.units)} paragraphs)")
    return " + ".join(parts)


def _log_model(ctx: Context, fitted: ThemeClassifier, ids: list[str]) -> None:
    from topics.classifier.model.pipeline import SAVABLE_BACKENDS

    result, vectors = ctx.topics, ctx.embeddings
    if vectors is None:
        log.warning("themes: no embeddings in this run; the theme model is not logged")
        return
    topics = result.assignments.topic.tolist() if result is not None else [-1] * len(vectors)
    labels = (
        {}
        if result is None
        else dict(zip(result.topics_table.topic, result.topics_table.label, strict=True))
    )
    backend = ctx.cfg.embedding.backend
    if backend not in SAVABLE_BACKENDS:
        log.warning(
            "themes: embedding backend %s cannot be logged without pickle; no theme model", backend
        )
        return
    try:
        uri = _log(ctx, fitted, ids, vectors, topics, labels)
    except InputError as err:  # e.g. a method without a plain-array form
        log.warning("themes: the theme model is not logged: %s", err)
        return
    ctx.rec.set_tags({"themes/model_uri": uri})
    ctx.theme_model_uri = uri


def _log(
    ctx: Context,
    fitted: ThemeClassifier,
    ids: list[str],
    vectors: np.ndarray,
    topics: list[int],
    labels: dict[int, str],
) -> str:
    from topics.classifier.model.pipeline import log_theme_model

    assert ctx.run_id is not None
    return log_theme_model(
        fitted,
        embedder=ctx.embedder,
        embedding_cfg=ctx.cfg.embedding,
        tokenizer_cfg=ctx.cfg.tokenizer,
        theme_ids=ids,
        embeddings=vectors,
        topics=topics,
        topic_labels=labels,
        run_id=ctx.run_id,
    )

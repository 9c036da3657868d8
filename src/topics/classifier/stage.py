"""The theme stage of a run: evaluate the configured classifier, tag every unit, profile articles.

The training data is ``theme_training`` (``authored``: the authored set of ``seeds/themes/``;
``gold``: the hand-labelled seed paragraphs).

* On units with gold labels (the seed paragraphs), the classifier is evaluated with
  leave-one-article-out CV (the authored set added to every training fold), and, when the
  authored set is used, under protocol A (trained on the authored set only, scored on the gold:
  ``themes/A/...`` metrics); then it is fitted on all the training data.
* On other units (sentence units, a user corpus), it is fitted on the training data and applied.
* On a single-label corpus with a held-out split (``data=thucnews``), it is trained on the train
  split and scored on the eval split (accuracy, macro-F1).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: keys of the ``classifier`` config read by this stage, not by the classifier itself
STAGE_KEYS = {"n_resamples", "log_model", "n_train", "n_dev"}


def _method_cfg(cfg: Any) -> dict[str, Any]:
    from omegaconf import OmegaConf

    node = OmegaConf.to_container(cfg.classifier, resolve=True)
    return {k: v for k, v in node.items() if k not in STAGE_KEYS}


def _topics_array(ctx: Any) -> np.ndarray | None:
    result = ctx.state.get("topics")
    if result is None:
        return None
    return result.assignments.topic.to_numpy()


def _seed_training_set(
    ctx: Any, ids: list[str]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    """The seed paragraphs with their gold labels, embedded with this run's embedder."""
    from topics.data.seeds import read_manifest_corpus
    from topics.preprocess.pipeline import preprocess_documents
    from topics.themes import label_matrix, load_gold

    units = preprocess_documents(list(read_manifest_corpus()), {"unit": "paragraph"}).units
    gold = load_gold(theme_ids=ids)
    embedder = ctx.state.get("embedder")
    vectors = np.asarray(embedder.embed(units.norm.tolist())) if embedder is not None else None
    return units, label_matrix(gold, units, ids), vectors


def _training_parts(ctx: Any) -> tuple[str, ...]:
    parts = tuple(ctx.cfg.get("theme_training") or ("gold",))
    bad = sorted(set(parts) - {"authored", "gold"})
    if bad or not parts:
        raise ValueError(
            f"theme_training is {list(parts)}; use a non-empty subset of [authored, gold]"
        )
    return parts


def _authored(ctx: Any, ids: list[str]) -> Any:
    from topics.classifier.protocol_report import authored_set

    return authored_set(ids, 5, int(ctx.cfg.get("seed") or 0))


def _evaluate_with_authored(ctx: Any, clf: Any, units: pd.DataFrame, Y: np.ndarray, ids: list[str]):
    """Protocol A (logged as ``themes/A/...``) and B (the LOAO result, returned)."""
    from topics.classifier.evaluate import EvaluationResult
    from topics.classifier.protocols import LabeledSet, protocol_a, protocol_b

    seed, n = ctx.cfg.get("seed"), int(ctx.cfg.classifier.get("n_resamples", 1000))
    authored = _authored(ctx, ids)
    gold = LabeledSet(
        units.norm.tolist(), Y, units.doc_id.astype(str).to_numpy(), units.unit_id.tolist()
    )
    res_a, _ = protocol_a(
        clf, authored, gold, name=ctx.cfg.classifier.name, n_resamples=n, seed=seed
    )
    ctx.log_metrics({k.replace("themes/", "themes/A/", 1): v for k, v in res_a.summary.items()})
    res = protocol_b(clf, authored, gold, name=ctx.cfg.classifier.name, n_resamples=n, seed=seed)
    return authored, EvaluationResult(
        method=res.method,
        theme_ids=ids,
        per_theme=res.per_theme,
        summary=res.summary,
        oof_scores=res.scores,
        oof_pred=res.pred,
        gold=res.gold,
        unit_ids=res.unit_ids,
        doc_ids=res.doc_ids,
        seconds=res.seconds,
    )


def run_theme_stage(ctx: Any) -> None:
    """Run the theme stage on a job context (see :mod:`topics.runner`)."""
    from topics.classifier import build_classifier, evaluate, theme_profile, write_profile_heatmap
    from topics.reporting.dynamics import article_titles
    from topics.themes import check_gold, label_matrix, label_stats, load_gold, load_taxonomy

    cfg = ctx.cfg
    if cfg.data.get("eval_path") and cfg.data.get("label_field"):
        _single_label(ctx)
        return
    themes = load_taxonomy(cfg.themes)
    ids = [t.id for t in themes]
    units = ctx.state["preprocess"].units
    vectors = ctx.state.get("embeddings")
    topics = _topics_array(ctx)
    clf = build_classifier(
        _method_cfg(cfg),
        themes,
        tokenizer=ctx.state.get("tokenizer"),
        embedder=ctx.state.get("embedder"),
    )
    out = ctx.out / "themes"
    out.mkdir(parents=True, exist_ok=True)
    gold = load_gold(theme_ids=ids)
    check = check_gold(gold, units)
    parts = _training_parts(ctx)
    if clf.needs_topics and "authored" in parts:
        log.warning("themes: %s needs topic assignments; the authored set has none", clf.method)
        parts = ("gold",)
    if check.ok:
        Y = label_matrix(gold, units, ids)
        if "authored" in parts:
            authored, res = _evaluate_with_authored(ctx, clf, units, Y, ids)
        else:
            res = evaluate(
                clf,
                units,
                Y,
                embeddings=vectors,
                topics=topics,
                seed=cfg.get("seed"),
                n_resamples=int(cfg.classifier.get("n_resamples", 1000)),
            )
        res.per_theme.to_csv(out / "per_theme.csv")
        res.predictions_frame().to_parquet(out / "oof_predictions.parquet", index=False)
        res.write_figures(out / "figures", labels=[t.name_zh for t in themes])
        stats = label_stats(gold, ids)
        stats.to_csv(out / "gold_label_stats.csv")
        ctx.log_metrics({k: v for k, v in res.summary.items() if isinstance(v, int | float)})
        ctx.log_metrics(
            {f"themes/gold/{item}": float(row["count"]) for item, row in stats.iterrows()}
        )
        if "authored" in parts:
            fitted = _fit_with_authored(clf, authored, units, Y, "gold" in parts)
            ctx.rec.set_tags({"themes/trained_on": _trained_on(authored, units, "gold" in parts)})
        else:
            fitted = clf.spawn().fit(
                units.norm.tolist(), Y, vectors, topics, groups=units.doc_id.tolist()
            )
            ctx.rec.set_tags({"themes/trained_on": "this run's units (gold labels)"})
    else:
        log.info(
            "themes: units have no gold labels (%s); training on the seed gold", check.describe()
        )
        if clf.needs_topics:
            raise ValueError(
                "classifier=topic_features needs gold labels on this run's units; "
                "use it with the seed corpus in paragraph units"
            )
        seed_units, Y, seed_vectors = _seed_training_set(ctx, ids)
        if "authored" in parts:
            authored = _authored(ctx, ids)
            fitted = _fit_with_authored(clf, authored, seed_units, Y, "gold" in parts)
            ctx.rec.set_tags(
                {"themes/trained_on": _trained_on(authored, seed_units, "gold" in parts)}
            )
        else:
            fitted = clf.spawn().fit(
                seed_units.norm.tolist(), Y, seed_vectors, groups=seed_units.doc_id.tolist()
            )
            ctx.rec.set_tags({"themes/trained_on": f"seed gold ({len(seed_units)} paragraphs)"})
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
        profile.rename(index=article_titles(ctx.state["preprocess"].documents, max_chars=30)),
        out / "profile.png",
        title=f"{cfg.classifier.name}: share of units per theme",
    )
    ctx.log_metrics({f"themes/share/{t}": float(pred[:, j].mean()) for j, t in enumerate(ids)})
    ctx.rec.log_dir(out, "themes")
    if cfg.classifier.get("log_model", True) and getattr(ctx.rec, "run_id", None):
        _log_model(ctx, fitted, ids)


def _fit_with_authored(
    clf: Any, authored: Any, units: pd.DataFrame, Y: np.ndarray, with_gold: bool
) -> Any:
    """Fit on the authored set, plus the gold paragraphs when ``with_gold``."""
    from topics.classifier.protocols import LabeledSet, concat

    data = authored
    if with_gold:
        gold = LabeledSet(
            units.norm.tolist(), Y, units.doc_id.astype(str).to_numpy(), units.unit_id.tolist()
        )
        data = concat(authored, gold)
    return clf.spawn().fit(data.texts, data.Y, groups=data.groups)


def _trained_on(authored: Any, units: pd.DataFrame, with_gold: bool) -> str:
    gold = f" + seed gold ({len(units)} paragraphs)" if with_gold else ""
    return f"authored set ({len(authored)} texts){gold}"


def _log_model(ctx: Any, fitted: Any, ids: list[str]) -> None:
    from topics.classifier.pipeline_model import SAVABLE_BACKENDS
    from topics.data.types import InputError

    result = ctx.state.get("topics")
    vectors = ctx.state.get("embeddings")
    if vectors is None:
        log.warning("themes: no embeddings in this run; the theme model is not logged")
        return
    topics = result.assignments.topic.tolist() if result is not None else [-1] * len(vectors)
    labels = (
        {}
        if result is None
        else dict(zip(result.topics_table.topic, result.topics_table.label, strict=True))
    )
    backend = ctx.cfg.embedding.get("backend")
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
    ctx.state["theme_model_uri"] = uri


def _log(ctx: Any, fitted: Any, ids: list[str], vectors: Any, topics: Any, labels: Any) -> str:
    from topics.classifier.pipeline_model import log_theme_model

    return log_theme_model(
        fitted,
        embedder=ctx.state.get("embedder"),
        embedding_cfg=ctx.cfg.embedding,
        tokenizer_cfg=ctx.cfg.tokenizer,
        theme_ids=ids,
        embeddings=vectors,
        topics=topics,
        topic_labels=labels,
        run_id=ctx.rec.run_id,
    )


def _single_label(ctx: Any) -> None:
    """Train on the train split and score the eval split of a labeled corpus."""
    from topics.classifier.single_label import results_table, run_single_label

    cfg = ctx.cfg
    tokenizer = ctx.tokenizer() if hasattr(ctx, "tokenizer") else ctx.state.get("tokenizer")
    (result,) = run_single_label(
        [_method_cfg(cfg)],
        cfg.data,
        tokenizer=tokenizer,
        embedder=ctx.state.get("embedder"),
        n_train=cfg.classifier.get("n_train"),
        n_dev=cfg.classifier.get("n_dev"),
        seed=cfg.get("seed"),
        root=cfg,
    )
    out = ctx.out / "themes"
    out.mkdir(parents=True, exist_ok=True)
    table = results_table([result])
    table.to_csv(out / "single_label.csv")
    result.per_class.to_csv(out / "per_class.csv")
    predictions = pd.DataFrame({"label": result.labels, "predicted": result.predictions})
    for member, predicted in result.member_predictions.items():
        predictions[f"predicted/{member}"] = predicted
        ctx.log_metrics(
            {
                f"member/{member}/accuracy": float(
                    np.mean(np.asarray(predicted) == np.asarray(result.labels))
                )
            }
        )
    predictions.to_csv(out / "dev_predictions.csv", index=False)
    _save_encoders(result.model, out / "model")
    ctx.log_metrics(_fit_details(result.model))
    row = table.iloc[0]
    ctx.log_metrics({k: float(v) for k, v in row.items() if "/" in str(k)})
    ctx.log_metrics(
        {
            "time/classifier_train_s": result.train_seconds,
            "time/classifier_predict_s": result.predict_seconds,
        }
    )
    chosen = {f"chosen/{k}": v for k, v in result.chosen.items() if isinstance(v, int | float)}
    ctx.log_metrics(chosen)
    trained_on = getattr(result.model, "trained_on_", None)
    if trained_on:
        ctx.rec.set_tags({"themes/trained_on": trained_on})
    ctx.rec.log_dir(out, "themes")


def _members(model: Any) -> list[tuple[str, Any]]:
    """A blend's ``(name, member)`` pairs, else the model itself as its own only member."""
    members = getattr(model, "members_", None)
    return list(members) if members is not None else [(str(getattr(model, "method", "")), model)]


def _fit_details(model: Any) -> dict[str, float]:
    """Train seconds per member; epochs, resumption and speed of fine-tuned encoders."""
    out: dict[str, float] = {}
    for name, member in _members(model):
        if hasattr(member, "fit_seconds_"):
            out[f"time/member/{name}_train_s"] = float(member.fit_seconds_)
        encoder = getattr(member, "encoder_", None)
        if encoder is not None:
            history = encoder.history_
            out[f"finetune/{name}/epochs_run"] = float(len(history))
            out[f"finetune/{name}/resumed_from_epoch"] = float(encoder.resumed_from_)
            if history:
                out[f"finetune/{name}/examples_per_s"] = float(
                    np.mean([r["examples_per_s"] for r in history])
                )
    return out


def _save_encoders(model: Any, folder: Any) -> None:
    """Save fine-tuned encoders (a ``finetune`` model, or a blend's members) as safetensors."""
    for name, member in _members(model):
        if hasattr(member, "save") and hasattr(member, "encoder_"):
            member.save(folder / name)

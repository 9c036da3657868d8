"""The evaluation protocol: leave-one-article-out CV with tuning inside the training articles.

For every outer fold (one held-out article) a fresh copy of the classifier is fitted on the
other articles; its ``fit`` tunes hyperparameters and per-theme thresholds on inner
leave-one-article-out splits of those training articles only (see
:mod:`topics.classifier.methods.base`). The held-out article's scores and predictions are collected, and
metrics are computed once on the concatenated out-of-fold predictions. Confidence intervals come
from a bootstrap that resamples whole articles (default) or units.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from topics.classifier.methods.base import ThemeClassifier
from topics.classifier.methods.folds import Fold, make_fold_plan
from topics.classifier.methods.registry import build_classifier, method_name
from topics.classifier.protocols.figures import plot_label_errors
from topics.classifier.protocols.metrics import BOOTSTRAP_LEVELS, per_theme_table, summary_metrics
from topics.data.types import InputError
from topics.embedding.base import Embedder
from topics.themes.taxonomy import Theme


@dataclass(frozen=True)
class FoldRecord:
    """What happened in one outer fold (indices into the evaluated units).

    Attributes:
        number: Fold position.
        test_groups: Held-out articles.
        train_idx: Units the classifier was fitted on.
        test_idx: Held-out units.
        tuning_idx: Units the inner tuning (thresholds, grid) looked at.
        thresholds: Per-theme thresholds chosen inside the fold.
        best_params: Hyperparameters chosen inside the fold.
        seconds: Wall time of fit + predict.
    """

    number: int
    test_groups: tuple[str, ...]
    train_idx: np.ndarray
    test_idx: np.ndarray
    tuning_idx: np.ndarray
    thresholds: np.ndarray
    best_params: dict[str, Any]
    seconds: float


@dataclass
class EvaluationResult:
    """Out-of-fold predictions of one method and their metrics.

    Attributes:
        method: Method name.
        theme_ids: Column order of all matrices.
        per_theme: Precision, recall, F1, support, predicted, tp, fp, fn per theme.
        summary: Flat metrics with ``themes/...`` keys (see ``metrics.summary_metrics``).
        oof_scores: ``(n, k)`` held-out scores.
        oof_pred: ``(n, k)`` held-out multi-hot predictions.
        gold: ``(n, k)`` gold labels.
        unit_ids: Unit id per row.
        doc_ids: Article id per row.
        folds: One record per outer fold.
        bootstrap: Resampling level of the confidence intervals (``article`` or ``unit``).
        seconds: Wall time of the whole evaluation.
    """

    method: str
    theme_ids: list[str]
    per_theme: pd.DataFrame
    summary: dict[str, float]
    oof_scores: np.ndarray
    oof_pred: np.ndarray
    gold: np.ndarray
    unit_ids: list[str]
    doc_ids: list[str]
    folds: list[FoldRecord] = field(default_factory=list)
    bootstrap: str = "article"
    seconds: float = 0.0

    def predictions_frame(self) -> pd.DataFrame:
        """Return one row per unit: ids, then ``score/``, ``pred/`` and ``gold/`` per theme."""
        frame = pd.DataFrame({"unit_id": self.unit_ids, "doc_id": self.doc_ids})
        for prefix, matrix in (
            ("score", self.oof_scores),
            ("pred", self.oof_pred),
            ("gold", self.gold),
        ):
            for j, theme in enumerate(self.theme_ids):
                frame[f"{prefix}/{theme}"] = matrix[:, j]
        return frame

    def write_figures(
        self, out_dir: str | Path, labels: Sequence[str] | None = None, html: bool = True
    ) -> list[Path]:
        """Write ``<method>_errors.png`` (co-occurrence and errors) and an HTML metrics page.

        Args:
            out_dir: Target folder (created).
            labels: Display names of the themes (default: ids).
            html: Also write ``<method>_metrics.html``.

        Returns:
            The written paths.
        """
        out = Path(out_dir)
        names = list(labels) if labels is not None else self.theme_ids
        title = (
            f"{self.method}: macro-F1 {self.summary['themes/macro_f1']:.3f}, "
            f"micro-F1 {self.summary['themes/micro_f1']:.3f} (leave-one-article-out)"
        )
        paths = [
            plot_label_errors(
                self.gold, self.oof_pred, names, out / f"{self.method}_errors.png", title
            )
        ]
        if html:
            summary = pd.Series(self.summary, name="value").to_frame()
            body = (
                f"<h1>{self.method}</h1><p>{title}; bootstrap CIs resample "
                f"{self.bootstrap}s.</p><h2>Per theme</h2>"
                f"{self.per_theme.to_html(float_format='%.3f')}<h2>Summary</h2>"
                f"{summary.to_html(float_format='%.4f')}"
            )
            page = out / f"{self.method}_metrics.html"
            page.write_text(
                f"<!doctype html><meta charset='utf-8'><body>{body}</body>", encoding="utf-8"
            )
            paths.append(page)
        return paths


def _take(array: np.ndarray | None, idx: np.ndarray) -> np.ndarray | None:
    return None if array is None else np.asarray(array)[idx]


def cross_validate(
    classifier: ThemeClassifier,
    texts: Sequence[str],
    Y: np.ndarray,
    groups: Sequence | np.ndarray,
    plan: Sequence[Fold],
    embeddings: np.ndarray | None = None,
    topics: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, list[FoldRecord]]:
    """Fit a fresh copy of ``classifier`` per fold; return OOF scores, predictions and records."""
    texts, groups, Y = list(texts), np.asarray(groups).astype(str), np.asarray(Y)
    scores = np.full(Y.shape, np.nan)
    pred = np.zeros(Y.shape, dtype=np.int8)
    records = []
    for fold in plan:
        start = time.perf_counter()
        train, test = fold.train_idx, fold.test_idx
        model = classifier.spawn().fit(
            [texts[i] for i in train],
            Y[train],
            _take(embeddings, train),
            _take(topics, train),
            groups=groups[train],
        )
        fold_scores = model.predict_proba(
            [texts[i] for i in test], _take(embeddings, test), _take(topics, test)
        )
        scores[test] = fold_scores
        pred[test] = fold_scores >= model.thresholds_
        looked_at = np.unique(np.concatenate([np.r_[tr, va] for tr, va in model.tuning_folds_]))
        records.append(
            FoldRecord(
                fold.number,
                fold.test_groups,
                train,
                test,
                train[looked_at],
                model.thresholds_.copy(),
                dict(model.best_params_),
                time.perf_counter() - start,
            )
        )
    return scores, pred, records


def _shared_embeddings(
    classifiers: Sequence[ThemeClassifier], texts: list[str], embeddings: np.ndarray | None
) -> np.ndarray | None:
    """Embed the units once (labels unused) when some classifier needs it and none were given."""
    if embeddings is not None or not any(c.needs_embeddings for c in classifiers):
        return embeddings
    embedder = next(
        (
            getattr(c, "embedder", None)
            for c in classifiers
            if getattr(c, "embedder", None) is not None
        ),
        None,
    )
    if embedder is None:
        raise InputError("embedding classifiers need embeddings= or an embedder")
    return np.asarray(embedder.embed(texts))


def evaluate(
    classifier: ThemeClassifier,
    units: pd.DataFrame,
    Y: np.ndarray,
    *,
    embeddings: np.ndarray | None = None,
    topics: np.ndarray | None = None,
    text_field: str = "norm",
    plan: Sequence[Fold] | None = None,
    n_resamples: int = 1000,
    bootstrap: str = "article",
    seed: int | None = None,
    name: str | None = None,
) -> EvaluationResult:
    """Evaluate one (unfitted) classifier with leave-one-article-out CV.

    Args:
        classifier: From :func:`build_classifier`; copies of it are fitted per fold.
        units: Units with ``unit_id``, ``doc_id`` and ``text_field``; row ``i`` matches ``Y[i]``.
        Y: Gold multi-hot labels ``(n, k)`` (``topics.themes.label_matrix``).
        embeddings: Unit embeddings (computed once here when the method needs them).
        topics: Topic assignments per unit (``topic_features``).
        text_field: Column of ``units`` to classify (``norm``: normalized Simplified text).
        plan: Outer folds (default :func:`make_fold_plan` on ``doc_id``).
        n_resamples: Bootstrap resamples of the CIs (0: none).
        bootstrap: ``article`` (resample whole articles) or ``unit``.
        seed: Bootstrap seed (default: the classifier's seed).
        name: Display name (default: the method).

    Raises:
        InputError: Missing columns, label shape mismatch or unknown bootstrap level.
    """
    start = time.perf_counter()
    missing = [c for c in ("unit_id", "doc_id", text_field) if c not in units.columns]
    if missing:
        raise InputError(f"evaluate: the units table lacks column(s) {missing}")
    if bootstrap not in BOOTSTRAP_LEVELS:
        raise InputError(f"bootstrap is {bootstrap!r}; use one of {BOOTSTRAP_LEVELS}")
    theme_ids = [getattr(t, "id", str(t)) for t in classifier.themes]
    Y = np.asarray(Y)
    if Y.shape != (len(units), len(theme_ids)):
        raise InputError(f"labels have shape {Y.shape}; expected ({len(units)}, {len(theme_ids)})")
    texts = units[text_field].astype(str).tolist()
    groups = units["doc_id"].astype(str).to_numpy()
    if plan is None:
        plan = make_fold_plan(groups, classifier.inner_splits, seed=classifier.seed)
    embeddings = _shared_embeddings([classifier], texts, embeddings)
    scores, pred, records = cross_validate(classifier, texts, Y, groups, plan, embeddings, topics)
    clusters = groups if bootstrap == "article" else np.arange(len(units))
    seed = classifier.seed if seed is None else seed
    return EvaluationResult(
        method=name or classifier.method,
        theme_ids=theme_ids,
        per_theme=per_theme_table(Y, pred, theme_ids),
        summary=summary_metrics(Y, pred, theme_ids, clusters, n_resamples, seed),
        oof_scores=scores,
        oof_pred=pred,
        gold=Y.astype(np.int8),
        unit_ids=units["unit_id"].astype(str).tolist(),
        doc_ids=groups.tolist(),
        folds=records,
        bootstrap=bootstrap,
        seconds=time.perf_counter() - start,
    )


def evaluate_methods(
    method_cfgs: Sequence[Mapping[str, Any]],
    units: pd.DataFrame,
    Y: np.ndarray,
    themes: Sequence[Theme],
    *,
    tokenizer: Any = None,
    embedder: Embedder | None = None,
    embeddings: np.ndarray | None = None,
    topics: np.ndarray | None = None,
    text_field: str = "norm",
    n_resamples: int = 1000,
    bootstrap: str = "article",
    seed: int | None = None,
) -> dict[str, EvaluationResult]:
    """Evaluate several method configs under the same protocol (embeddings computed once).

    Returns:
        Results keyed by each config's ``name`` (else ``method``), in config order.
    """
    classifiers = {
        method_name(cfg): build_classifier(cfg, themes, tokenizer, embedder) for cfg in method_cfgs
    }
    texts = units[text_field].astype(str).tolist()
    embeddings = _shared_embeddings(list(classifiers.values()), texts, embeddings)
    return {
        name: evaluate(
            clf,
            units,
            Y,
            embeddings=embeddings,
            topics=topics,
            text_field=text_field,
            n_resamples=n_resamples,
            bootstrap=bootstrap,
            seed=seed,
            name=name,
        )
        for name, clf in classifiers.items()
    }


def comparison_table(results: Mapping[str, EvaluationResult]) -> pd.DataFrame:
    """One row per method: macro/micro-F1 with CIs, Hamming loss, baseline and seconds."""
    keys = [
        "macro_f1",
        "macro_f1_ci_low",
        "macro_f1_ci_high",
        "micro_f1",
        "micro_f1_ci_low",
        "micro_f1_ci_high",
        "hamming_loss",
        "macro_precision",
        "macro_recall",
        "baseline_all_positive_macro_f1",
    ]
    rows = {
        name: {**{k: r.summary[f"themes/{k}"] for k in keys}, "seconds": r.seconds}
        for name, r in results.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")


def compare_methods(
    method_cfgs: Sequence[Mapping[str, Any]],
    units: pd.DataFrame,
    Y: np.ndarray,
    themes: Sequence[Theme],
    **kwargs: Any,
) -> pd.DataFrame:
    """Run :func:`evaluate_methods` and return its :func:`comparison_table`."""
    return comparison_table(evaluate_methods(method_cfgs, units, Y, themes, **kwargs))

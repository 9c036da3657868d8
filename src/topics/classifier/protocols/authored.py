"""Protocols that score theme classifiers on the gold paragraphs without learning from them.

* **A, independent** (the headline): fit on the authored training set only, score all gold
  paragraphs. Hyperparameters and thresholds come from CV folds of the authored set.
* **B, leave-one-article-out**: for each gold article, fit on the authored set plus the other
  articles' gold paragraphs, score the held-out article.
* **C, cross-script**: the gold paragraphs converted to Traditional Chinese (OpenCC ``s2twp``),
  scored by the model of protocol A. ``C`` feeds what the pipeline feeds (the text normalized
  back to Simplified by ``normalize_for_model``, which keeps Taiwan wording such as 軟體 -> 软体);
  ``C_raw`` feeds the Traditional text as it is.

Confidence intervals resample whole articles, and :func:`paired_bootstrap` compares two methods'
predictions on the same paragraphs with the same article resamples.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from topics.classifier.methods.base import ThemeClassifier
from topics.classifier.protocols.metrics import (
    macro_micro_f1,
    per_theme_table,
    resample_weights,
    summary_metrics,
)
from topics.data.types import InputError
from topics.themes.taxonomy import Theme

#: Protocol names, in report order.
PROTOCOLS = ("A", "B", "C", "C_raw")


@dataclass(frozen=True)
class LabeledSet:
    """Texts with multi-hot labels and a group per text.

    Attributes:
        texts: Texts as the classifier sees them.
        Y: ``(n, k)`` multi-hot labels.
        groups: Article id per text (gold), or a pseudo-group per authored text.
        ids: An id per text.
    """

    texts: list[str]
    Y: np.ndarray
    groups: np.ndarray
    ids: list[str]

    def __post_init__(self) -> None:
        n = len(self.texts)
        if self.Y.ndim != 2 or len(self.Y) != n or len(self.groups) != n or len(self.ids) != n:
            raise InputError(
                f"a labeled set needs one label row, group and id per text: {n} texts, "
                f"labels {self.Y.shape}, {len(self.groups)} groups, {len(self.ids)} ids"
            )

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, idx: np.ndarray) -> LabeledSet:
        """Return the rows ``idx``."""
        return LabeledSet(
            [self.texts[i] for i in idx], self.Y[idx], self.groups[idx], [self.ids[i] for i in idx]
        )

    def with_texts(self, texts: Sequence[str]) -> LabeledSet:
        """Return the same rows with other texts (e.g. another script)."""
        return LabeledSet(list(texts), self.Y, self.groups, self.ids)


def concat(first: LabeledSet, second: LabeledSet) -> LabeledSet:
    """Return the rows of ``first`` followed by those of ``second``."""
    return LabeledSet(
        first.texts + second.texts,
        np.vstack([first.Y, second.Y]),
        np.concatenate([first.groups.astype(str), second.groups.astype(str)]),
        first.ids + second.ids,
    )


def authored_groups(n: int, n_groups: int, seed: int | None) -> np.ndarray:
    """Return ``authored/<g>`` pseudo-groups: a seeded shuffle of ``n`` texts cut into bins.

    Authored texts belong to no article; the bins let group CV mix them with gold articles.
    """
    if n_groups < 2:
        raise InputError(f"protocols.authored_groups must be >= 2, got {n_groups}")
    order = np.random.default_rng(seed).permutation(n)
    groups = np.empty(n, dtype=object)
    groups[order] = [f"authored/{i % n_groups}" for i in range(n)]
    return groups.astype(str)


@dataclass
class ProtocolResult:
    """Predictions of one method under one protocol, with their metrics.

    Attributes:
        protocol: ``A``, ``B``, ``C`` or ``C_raw``.
        method: Display name of the method.
        theme_ids: Column order.
        scores: ``(n, k)`` scores on the gold paragraphs.
        pred: ``(n, k)`` multi-hot predictions.
        gold: ``(n, k)`` gold labels.
        doc_ids: Article per row (the bootstrap clusters).
        unit_ids: Unit per row.
        summary: Flat metrics (``themes/...``, see ``metrics.summary_metrics``).
        per_theme: Precision, recall, F1 and counts per theme.
        fits: Per fitted model: training size, held-out articles, chosen hyperparameters and
            thresholds (the values actually used).
        seconds: Wall time.
        n_authored: Size of the authored set the result was trained with (``None``: unknown);
            the tables mark results of an earlier, smaller set.
    """

    protocol: str
    method: str
    theme_ids: list[str]
    scores: np.ndarray
    pred: np.ndarray
    gold: np.ndarray
    doc_ids: list[str]
    unit_ids: list[str]
    summary: dict[str, float]
    per_theme: pd.DataFrame
    fits: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    n_authored: int | None = None

    def predictions_frame(self) -> pd.DataFrame:
        """One row per unit: ids, protocol, method, then ``score/``, ``pred/``, ``gold/`` columns."""
        frame = pd.DataFrame(
            {
                "unit_id": self.unit_ids,
                "doc_id": self.doc_ids,
                "protocol": self.protocol,
                "method": self.method,
            }
        )
        for prefix, matrix in (("score", self.scores), ("pred", self.pred), ("gold", self.gold)):
            for j, theme in enumerate(self.theme_ids):
                frame[f"{prefix}/{theme}"] = matrix[:, j]
        return frame


def fit_record(model: ThemeClassifier, n_train: int, held_out: Sequence[str] = ()) -> dict:
    """What one fit chose: hyperparameters and per-theme thresholds (JSON-ready)."""
    return {
        "n_train": int(n_train),
        "held_out": list(held_out),
        "best_params": {k: _plain_value(v) for k, v in model.best_params_.items()},
        "thresholds": dict(zip(model.classes_, map(float, model.thresholds_), strict=True)),
        "fit_seconds": float(getattr(model, "fit_seconds_", 0.0)),
    }


def _plain_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | list):
        return [_plain_value(v) for v in value]
    return value


def _result(
    protocol: str,
    name: str,
    gold: LabeledSet,
    scores: np.ndarray,
    pred: np.ndarray,
    theme_ids: list[str],
    fits: list[dict],
    start: float,
    n_resamples: int,
    seed: int | None,
) -> ProtocolResult:
    return ProtocolResult(
        protocol=protocol,
        method=name,
        theme_ids=theme_ids,
        scores=scores,
        pred=pred.astype(np.int8),
        gold=gold.Y.astype(np.int8),
        doc_ids=gold.groups.astype(str).tolist(),
        unit_ids=list(gold.ids),
        summary=summary_metrics(gold.Y, pred, theme_ids, gold.groups, n_resamples, seed),
        per_theme=per_theme_table(gold.Y, pred, theme_ids),
        fits=fits,
        seconds=time.perf_counter() - start,
    )


def _fit(clf: ThemeClassifier, train: LabeledSet, use_groups: bool) -> ThemeClassifier:
    return clf.spawn().fit(train.texts, train.Y, groups=train.groups if use_groups else None)


def protocol_a(
    clf: ThemeClassifier,
    authored: LabeledSet,
    gold: LabeledSet,
    *,
    name: str | None = None,
    n_resamples: int = 1000,
    seed: int | None = None,
) -> tuple[ProtocolResult, ThemeClassifier]:
    """Fit on the authored set only, score the gold paragraphs.

    Tuning uses shuffled K folds of the authored set (its texts are independent of each other).

    Returns:
        The result and the fitted model (protocol C scores with it).
    """
    start = time.perf_counter()
    model = _fit(clf, authored, use_groups=False)
    scores = model.predict_proba(gold.texts)
    pred = scores >= model.thresholds_
    ids = list(model.classes_)
    fits = [fit_record(model, len(authored))]
    res = _result("A", name or clf.method, gold, scores, pred, ids, fits, start, n_resamples, seed)
    return res, model


def protocol_c(
    model: ThemeClassifier,
    gold: LabeledSet,
    *,
    protocol: str = "C",
    name: str | None = None,
    n_resamples: int = 1000,
    seed: int | None = None,
) -> ProtocolResult:
    """Score ``gold`` (already converted to the other script) with the protocol-A ``model``."""
    start = time.perf_counter()
    scores = model.predict_proba(gold.texts)
    pred = scores >= model.thresholds_
    ids = list(model.classes_)
    return _result(
        protocol, name or model.method, gold, scores, pred, ids, [], start, n_resamples, seed
    )


#: Per-fold taxonomy hook of protocol B: (training gold texts, held-out texts) -> themes.
FoldThemes = Callable[[Sequence[str], Sequence[str]], Sequence[Theme]]


def protocol_b(
    clf: ThemeClassifier,
    authored: LabeledSet | None,
    gold: LabeledSet,
    *,
    name: str | None = None,
    fold_themes: FoldThemes | None = None,
    n_resamples: int = 1000,
    seed: int | None = None,
) -> ProtocolResult:
    """Leave one gold article out; train on the authored set plus the other articles.

    Inner tuning splits are by group: gold articles and the authored pseudo-groups.

    Args:
        clf: The unfitted classifier.
        authored: The authored set (``groups``: pseudo-groups, see :func:`authored_groups`);
            ``None`` for the old gold-only leave-one-article-out.
        gold: The gold paragraphs (``groups``: article ids).
        name: Display name.
        fold_themes: Optional per-fold taxonomy (e.g. keywords minus the held-out article's own).
        n_resamples: Article-bootstrap resamples.
        seed: Bootstrap seed.
    """
    start = time.perf_counter()
    scores = np.full(gold.Y.shape, np.nan)
    pred = np.zeros(gold.Y.shape, dtype=np.int8)
    fits = []
    for article in sorted(set(gold.groups.astype(str))):
        test = np.flatnonzero(gold.groups.astype(str) == article)
        rest = gold.take(np.flatnonzero(gold.groups.astype(str) != article))
        held = gold.take(test)
        fold_clf = clf
        if fold_themes is not None:
            fold_clf = clf.spawn(themes=list(fold_themes(rest.texts, held.texts)))
        train = rest if authored is None else concat(authored, rest)
        model = _fit(fold_clf, train, use_groups=True)
        scores[test] = model.predict_proba(held.texts)
        pred[test] = scores[test] >= model.thresholds_
        fits.append(fit_record(model, len(train), [article]))
    ids = [getattr(t, "id", str(t)) for t in clf.themes]
    return _result("B", name or clf.method, gold, scores, pred, ids, fits, start, n_resamples, seed)


def drop_own_keywords(themes: Sequence[Theme]) -> FoldThemes:
    """Return a :data:`FoldThemes` hook that drops keywords found only in the held-out article.

    A keyword is dropped from a fold when it occurs in the held-out paragraphs but in none of
    the training gold paragraphs (NFKC, lower-cased substring match).
    """
    import dataclasses
    import unicodedata

    def norm(text: str) -> str:
        return unicodedata.normalize("NFKC", text).lower()

    def hook(train_texts: Sequence[str], held_texts: Sequence[str]) -> list[Theme]:
        train, held = norm("\n".join(train_texts)), norm("\n".join(held_texts))
        out = []
        for theme in themes:
            kept = {
                lang: tuple(k for k in words if not (norm(k) in held and norm(k) not in train))
                for lang, words in (("zh", theme.keywords_zh), ("en", theme.keywords_en))
            }
            out.append(dataclasses.replace(theme, keywords_zh=kept["zh"], keywords_en=kept["en"]))
        return out

    return hook


@dataclass(frozen=True)
class PairedTest:
    """Paired article-bootstrap comparison of two methods' macro-F1 on the same units.

    Attributes:
        first: Name of the first method.
        second: Name of the second method.
        diff: Observed macro-F1 of ``first`` minus that of ``second``.
        ci_low: Lower percentile bound of the difference.
        ci_high: Upper percentile bound.
        p_value: Two-sided bootstrap p-value of "no difference" (twice the smaller share of
            resamples on either side of zero, capped at 1).
        n_resamples: Resamples drawn.
    """

    first: str
    second: str
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    n_resamples: int

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict."""
        return dict(self.__dict__)


def paired_bootstrap(
    first: ProtocolResult,
    second: ProtocolResult,
    n_resamples: int = 2000,
    seed: int | None = None,
    level: float = 0.95,
) -> PairedTest:
    """Compare two results on the same units with the same article resamples.

    Raises:
        InputError: The results cover different units or gold labels.
    """
    if first.unit_ids != second.unit_ids or not np.array_equal(first.gold, second.gold):
        raise InputError(
            f"paired test: {first.method} and {second.method} were scored on different units"
        )
    weights = resample_weights(np.asarray(first.doc_ids), n_resamples, seed)
    a, _ = macro_micro_f1(first.gold, first.pred, weights)
    b, _ = macro_micro_f1(second.gold, second.pred, weights)
    diffs = a - b
    observed = float(
        macro_micro_f1(first.gold, first.pred)[0] - macro_micro_f1(second.gold, second.pred)[0]
    )
    tail = (1 - level) / 2 * 100
    p = min(1.0, 2 * min(float((diffs <= 0).mean()), float((diffs >= 0).mean())))
    return PairedTest(
        first.method,
        second.method,
        observed,
        float(np.percentile(diffs, tail)),
        float(np.percentile(diffs, 100 - tail)),
        p,
        n_resamples,
    )


def summary_row(result: ProtocolResult) -> dict[str, float]:
    """Macro/micro-F1 with CIs and the per-theme F1 of a result (flat, for tables)."""
    keys = ("macro_f1", "macro_f1_ci_low", "macro_f1_ci_high", "micro_f1")
    row = {k: result.summary[f"themes/{k}"] for k in keys}
    row.update({f"f1/{t}": float(f) for t, f in result.per_theme["f1"].items()})
    return row


def results_table(results: Mapping[tuple[str, str], ProtocolResult]) -> pd.DataFrame:
    """One row per (method, protocol) with :func:`summary_row` columns."""
    rows = {key: summary_row(res) for key, res in results.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["method", "protocol"])
    return frame

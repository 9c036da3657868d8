"""Single-label evaluation on a labeled corpus (THUCNews): fit on train, score on dev.

Multiclass methods (``lexical``, ``finetune``, ``blend``; :mod:`topics.classifier.multiclass`)
make their choices on a validation split carved from the training file. The multi-label method
classes are also accepted: labels become one-hot columns, hyperparameters are tuned on inner
splits of the training set, and the prediction is the class with the highest score.
``keywords`` does not apply (it needs taxonomy keywords); ``zeroshot`` embeds the texts given in
``label_texts`` (the data config's, e.g. Chinese class names), else the class names.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, classification_report, f1_score
from sklearn.model_selection import train_test_split

from topics.classifier.methods.base import ThemeClassifier
from topics.classifier.methods.registry import build_classifier, method_name
from topics.classifier.multiclass import (
    BlendClassifier,
    SingleLabelClassifier,
    build_single_label,
    is_single_label,
)
from topics.data.types import InputError
from topics.embedding.base import Embedder


def load_labeled(data_cfg: Mapping[str, Any], split: str = "train") -> tuple[list[str], list[str]]:
    """Return the texts and label names of a labeled corpus split (``train`` or ``eval``).

    Raises:
        InputError: A document has no label.
    """
    from topics.data import load_documents

    docs = load_documents(data_cfg, split=split)
    unlabeled = [d.source for d in docs if d.label is None]
    if unlabeled:
        raise InputError(f"{unlabeled[0]}: document without a label ({len(unlabeled)} in all)")
    return [d.text for d in docs], [str(d.label) for d in docs]


def stratified_subset(labels: Sequence[str], n: int | None, seed: int | None) -> np.ndarray:
    """Return sorted indices of a class-stratified random subset of ``n`` items (all if None)."""
    index = np.arange(len(labels))
    if n is None or n >= len(labels):
        return index
    chosen, _ = train_test_split(index, train_size=n, stratify=list(labels), random_state=seed)
    return np.sort(chosen)


@dataclass
class SingleLabelResult:
    """Dev-set metrics of one method.

    Attributes:
        method: Method name.
        summary: ``<prefix>/accuracy``, ``<prefix>/macro_f1`` and the sizes used.
        per_class: sklearn's per-class precision / recall / F1 / support.
        predictions: Predicted class per dev text.
        seconds: Wall time of fit + predict.
        classes: Class names, in the column order of ``probabilities``.
        probabilities: ``(n_dev, K)`` scores of the dev texts.
        train_seconds: Wall time of ``fit``.
        predict_seconds: Wall time of scoring the dev texts.
        model: The fitted classifier.
        chosen: Hyperparameters chosen on the training data (``best_params_``).
        labels: Gold class per dev text.
        member_predictions: A blend's members' predicted class per dev text, by member name.
    """

    method: str
    summary: dict[str, float]
    per_class: pd.DataFrame
    predictions: list[str]
    seconds: float
    classes: list[str] = field(default_factory=list)
    probabilities: np.ndarray | None = None
    train_seconds: float = 0.0
    predict_seconds: float = 0.0
    model: ThemeClassifier | SingleLabelClassifier | None = None
    chosen: dict[str, Any] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    member_predictions: dict[str, list[str]] = field(default_factory=dict)


def _fit_score(
    classifier: ThemeClassifier | SingleLabelClassifier,
    classes: list[str],
    train_texts: list[str],
    train_labels: list[str],
    dev_texts: list[str],
    train_embeddings: np.ndarray | None,
    dev_embeddings: np.ndarray | None,
) -> tuple[ThemeClassifier | SingleLabelClassifier, np.ndarray, float, float]:
    """Fit on train and score dev; return the model, ``(n_dev, K)`` scores and both timings."""
    start = time.perf_counter()
    if isinstance(classifier, SingleLabelClassifier):
        model: ThemeClassifier | SingleLabelClassifier = classifier.spawn().fit(
            train_texts, train_labels
        )
        fitted = time.perf_counter()
        proba = model.predict_proba(dev_texts)
        order = [model.classes_.tolist().index(c) for c in classes]
        return model, proba[:, order], fitted - start, time.perf_counter() - fitted
    column = {c: j for j, c in enumerate(classes)}
    Y = np.zeros((len(train_labels), len(classes)), dtype=np.int8)
    Y[np.arange(len(train_labels)), [column[y] for y in train_labels]] = 1
    model = classifier.spawn().fit(train_texts, Y, train_embeddings)
    fitted = time.perf_counter()
    scores = model.predict_proba(dev_texts, dev_embeddings)
    return model, scores, fitted - start, time.perf_counter() - fitted


def evaluate_single_label(
    classifier: ThemeClassifier | SingleLabelClassifier,
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    dev_texts: Sequence[str],
    dev_labels: Sequence[str],
    *,
    train_embeddings: np.ndarray | None = None,
    dev_embeddings: np.ndarray | None = None,
    prefix: str = "thucnews",
    name: str | None = None,
    classes: Sequence[str] | None = None,
) -> SingleLabelResult:
    """Fit ``classifier`` on train and score dev; the prediction is the best-scored class.

    A one-vs-rest theme classifier gets one-hot columns in the order of ``classes`` (default:
    its ``themes``, which may be label texts such as Chinese class names for zero-shot); a
    single-label classifier learns the classes from ``train_labels``.

    Raises:
        InputError: A label is not among the classes.
    """
    single = isinstance(classifier, SingleLabelClassifier)
    if classes is None:
        classes = (
            sorted(set(train_labels))
            if single
            else [getattr(t, "id", str(t)) for t in classifier.themes]
        )
    classes = list(classes)
    unknown = sorted({y for y in (*train_labels, *dev_labels) if y not in set(classes)})
    if unknown:
        raise InputError(f"labels {unknown[:5]} are not among the classes {classes}")
    model, scores, train_s, predict_s = _fit_score(
        classifier,
        classes,
        list(train_texts),
        list(train_labels),
        list(dev_texts),
        train_embeddings,
        dev_embeddings,
    )
    predicted = [classes[j] for j in scores.argmax(axis=1)]
    report = classification_report(
        list(dev_labels), predicted, labels=classes, output_dict=True, zero_division=0
    )
    per_class = pd.DataFrame(report).T.loc[classes]
    summary = {
        f"{prefix}/accuracy": float(accuracy_score(dev_labels, predicted)),
        f"{prefix}/macro_f1": float(
            f1_score(dev_labels, predicted, labels=classes, average="macro", zero_division=0)
        ),
        f"{prefix}/n_train": float(len(train_texts)),
        f"{prefix}/n_dev": float(len(dev_texts)),
    }
    chosen = dict(getattr(model, "best_params_", {}) or {})
    members = {}
    if isinstance(model, BlendClassifier):
        for member, proba in model.member_probas(list(dev_texts)).items():
            members[member] = model.classes_[proba.argmax(axis=1)].tolist()
    return SingleLabelResult(
        name or classifier.method,
        summary,
        per_class,
        predicted,
        train_s + predict_s,
        classes,
        scores,
        train_s,
        predict_s,
        model,
        chosen,
        list(dev_labels),
        members,
    )


def run_single_label(
    method_cfgs: Sequence[Mapping[str, Any]],
    data_cfg: Mapping[str, Any],
    *,
    tokenizer: Any = None,
    embedder: Embedder | None = None,
    n_train: int | None = None,
    n_dev: int | None = None,
    seed: int | None = None,
    label_texts: Mapping[str, str] | None = None,
    prefix: str | None = None,
    root: Any = None,
) -> list[SingleLabelResult]:
    """Train each method on the corpus' train split and score its eval split.

    Args:
        method_cfgs: Classifier configs (``configs/classifier/*.yaml``): multiclass methods
            (``lexical``, ``finetune``, ``blend``) or one-vs-rest theme methods.
        data_cfg: Data config with ``path``, ``eval_path`` and labels
            (``configs/data/thucnews.yaml``).
        tokenizer: Project tokenizer (``tfidf_linear``; word n-grams of ``lexical``).
        embedder: Sentence embedder, preferably a ``CachedEmbedder``; train and dev texts are
            embedded once and shared by all embedding methods.
        n_train: Stratified subset size of the train split (``None``: all).
        n_dev: Stratified subset size of the eval split (``None``: all).
        seed: Subset seed.
        label_texts: Text per class name that ``zeroshot`` embeds (default: the data config's
            ``label_texts``, e.g. the Chinese class names of THUCNews).
        prefix: Metric prefix (default: the data config's ``name``).
        root: The run's composed config (resolves blend members' interpolations).

    Returns:
        One result per method, in order.
    """
    prefix = prefix or str(data_cfg.get("name") or "single_label")
    train_texts, train_labels = load_labeled(data_cfg, "train")
    dev_texts, dev_labels = load_labeled(data_cfg, "eval")
    tr = stratified_subset(train_labels, n_train, seed)
    dv = stratified_subset(dev_labels, n_dev, seed)
    train_texts, train_labels = [train_texts[i] for i in tr], [train_labels[i] for i in tr]
    dev_texts, dev_labels = [dev_texts[i] for i in dv], [dev_labels[i] for i in dv]
    classes = sorted(set(train_labels))
    texts_of = dict(label_texts if label_texts is not None else data_cfg.get("label_texts") or {})
    results = []
    embedded: tuple[np.ndarray, np.ndarray] | None = None
    for cfg in method_cfgs:
        if is_single_label(cfg):
            results.append(
                evaluate_single_label(
                    build_single_label(cfg, tokenizer, root),
                    train_texts,
                    train_labels,
                    dev_texts,
                    dev_labels,
                    prefix=prefix,
                    name=method_name(cfg),
                    classes=classes,
                )
            )
            continue
        zeroshot = cfg.get("method") == "zeroshot"
        themes = [texts_of.get(c, c) if zeroshot else c for c in classes]
        clf = build_classifier(cfg, themes, tokenizer, embedder)
        if clf.needs_embeddings and embedded is None:
            if embedder is None:
                raise InputError(f"method '{method_name(cfg)}' needs an embedder")
            embedded = (
                np.asarray(embedder.embed(train_texts)),
                np.asarray(embedder.embed(dev_texts)),
            )
        vectors = embedded if clf.needs_embeddings and embedded is not None else (None, None)
        results.append(
            evaluate_single_label(
                clf,
                train_texts,
                train_labels,
                dev_texts,
                dev_labels,
                train_embeddings=vectors[0],
                dev_embeddings=vectors[1],
                prefix=prefix,
                name=method_name(cfg),
                classes=classes,
            )
        )
    return results


def results_table(results: Sequence[SingleLabelResult]) -> pd.DataFrame:
    """One row per result: accuracy, macro-F1, sizes and seconds."""
    rows = {
        r.method: {
            **r.summary,
            "seconds": r.seconds,
            "train_seconds": r.train_seconds,
            "predict_seconds": r.predict_seconds,
        }
        for r in results
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")


def compare_single_label(
    method_cfgs: Sequence[Mapping[str, Any]], data_cfg: Mapping[str, Any], **kwargs: Any
) -> pd.DataFrame:
    """Run :func:`run_single_label` and return :func:`results_table` of its results."""
    return results_table(run_single_label(method_cfgs, data_cfg, **kwargs))

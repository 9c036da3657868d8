"""Single-label evaluation on a labeled corpus (THUCNews): fit on train, score on dev.

The multi-label method classes are reused: labels become one-hot columns, hyperparameters are
tuned on inner splits of the training set, and the prediction is the class with the highest
score. ``keywords`` does not apply (it needs taxonomy keywords); ``zeroshot`` embeds the class
names, or the texts given in ``label_texts``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, classification_report, f1_score
from sklearn.model_selection import train_test_split

from topics.classifier.base import ThemeClassifier
from topics.classifier.registry import build_classifier, method_name
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
    """

    method: str
    summary: dict[str, float]
    per_class: pd.DataFrame
    predictions: list[str]
    seconds: float


def evaluate_single_label(
    classifier: ThemeClassifier,
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    dev_texts: Sequence[str],
    dev_labels: Sequence[str],
    *,
    train_embeddings: np.ndarray | None = None,
    dev_embeddings: np.ndarray | None = None,
    prefix: str = "thucnews",
    name: str | None = None,
) -> SingleLabelResult:
    """Fit ``classifier`` (its ``themes`` are the class names, in column order) and score dev.

    Raises:
        InputError: A label is not among the classifier's classes.
    """
    start = time.perf_counter()
    classes = [getattr(t, "id", str(t)) for t in classifier.themes]
    column = {c: j for j, c in enumerate(classes)}
    unknown = sorted({y for y in (*train_labels, *dev_labels) if y not in column})
    if unknown:
        raise InputError(f"labels {unknown[:5]} are not among the classes {classes}")
    Y = np.zeros((len(train_labels), len(classes)), dtype=np.int8)
    Y[np.arange(len(train_labels)), [column[y] for y in train_labels]] = 1
    model = classifier.spawn().fit(list(train_texts), Y, train_embeddings)
    scores = model.predict_proba(list(dev_texts), dev_embeddings)
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
    return SingleLabelResult(
        name or classifier.method, summary, per_class, predicted, time.perf_counter() - start
    )


def compare_single_label(
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
) -> pd.DataFrame:
    """Train each method on the corpus' train split and score its eval split.

    Args:
        method_cfgs: Classifier configs (``configs/classifier/*.yaml``).
        data_cfg: Data config with ``path``, ``eval_path`` and labels
            (``configs/data/thucnews.yaml``).
        tokenizer: Project tokenizer (``tfidf_linear``).
        embedder: Sentence embedder, preferably a ``CachedEmbedder``; train and dev texts are
            embedded once and shared by all embedding methods.
        n_train: Stratified subset size of the train split (``None``: all).
        n_dev: Stratified subset size of the eval split (``None``: all).
        seed: Subset seed.
        label_texts: Text per class name for ``zeroshot`` (e.g. Chinese class names).
        prefix: Metric prefix (default: the data config's ``name``).

    Returns:
        One row per method: accuracy, macro-F1, sizes and seconds.
    """
    prefix = prefix or str(data_cfg.get("name") or "single_label")
    train_texts, train_labels = load_labeled(data_cfg, "train")
    dev_texts, dev_labels = load_labeled(data_cfg, "eval")
    tr = stratified_subset(train_labels, n_train, seed)
    dv = stratified_subset(dev_labels, n_dev, seed)
    train_texts, train_labels = [train_texts[i] for i in tr], [train_labels[i] for i in tr]
    dev_texts, dev_labels = [dev_texts[i] for i in dv], [dev_labels[i] for i in dv]
    classes = sorted(set(train_labels))
    texts_of = dict(label_texts or {})
    rows = {}
    embedded: tuple[np.ndarray, np.ndarray] | None = None
    for cfg in method_cfgs:
        clf = build_classifier(cfg, [texts_of.get(c, c) for c in classes], tokenizer, embedder)
        if clf.needs_embeddings and embedded is None:
            if embedder is None:
                raise InputError(f"method '{method_name(cfg)}' needs an embedder")
            embedded = (
                np.asarray(embedder.embed(train_texts)),
                np.asarray(embedder.embed(dev_texts)),
            )
        vectors = embedded if clf.needs_embeddings and embedded is not None else (None, None)
        dev_names = [texts_of.get(y, y) for y in dev_labels]
        train_names = [texts_of.get(y, y) for y in train_labels]
        result = evaluate_single_label(
            clf,
            train_texts,
            train_names,
            dev_texts,
            dev_names,
            train_embeddings=vectors[0],
            dev_embeddings=vectors[1],
            prefix=prefix,
            name=method_name(cfg),
        )
        rows[result.method] = {**result.summary, "seconds": result.seconds}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")

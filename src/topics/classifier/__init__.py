"""Classifier stage: theme classifiers compared under one leak-free evaluation protocol.

Public API::

    clf = build_classifier(cfg.classifier, load_taxonomy(), tokenizer=tok, embedder=emb)
    result = evaluate(clf, units, Y, embeddings=E)            # leave-one-article-out
    table = compare_methods([cfg_a, cfg_b], units, Y, themes, tokenizer=tok, embedder=emb)
    result.write_figures(out / "figures")
    profile = theme_profile(units, clf.fit(texts, Y).predict(texts), theme_ids)
    table = compare_single_label(cfgs, data_cfg, tokenizer=tok, embedder=emb)  # THUCNews
"""

from topics.classifier.methods.base import Inputs, ThemeClassifier, make_inputs
from topics.classifier.methods.embedded import (
    EmbedKNNClassifier,
    EmbedLogRegClassifier,
    EmbedSVMClassifier,
    TopicFeatureClassifier,
)
from topics.classifier.methods.folds import Fold, check_plan, inner_folds, make_fold_plan
from topics.classifier.methods.lexical import (
    CachingTokenizer,
    KeywordClassifier,
    TfidfLinearClassifier,
)
from topics.classifier.methods.registry import METHODS, build_classifier
from topics.classifier.methods.setfit import SetFitClassifier
from topics.classifier.methods.thresholds import best_threshold, tune_thresholds
from topics.classifier.methods.zeroshot import ZeroShotClassifier
from topics.classifier.profile import theme_profile, write_profile_heatmap
from topics.classifier.protocols.loao import (
    EvaluationResult,
    FoldRecord,
    compare_methods,
    comparison_table,
    cross_validate,
    evaluate,
    evaluate_methods,
)
from topics.classifier.protocols.metrics import bootstrap_ci, per_theme_table, summary_metrics
from topics.classifier.protocols.single_label import (
    SingleLabelResult,
    compare_single_label,
    evaluate_single_label,
    load_labeled,
    stratified_subset,
)

__all__ = [
    "METHODS",
    "CachingTokenizer",
    "EmbedKNNClassifier",
    "EmbedLogRegClassifier",
    "EmbedSVMClassifier",
    "EvaluationResult",
    "Fold",
    "FoldRecord",
    "Inputs",
    "KeywordClassifier",
    "SetFitClassifier",
    "SingleLabelResult",
    "TfidfLinearClassifier",
    "ThemeClassifier",
    "TopicFeatureClassifier",
    "ZeroShotClassifier",
    "best_threshold",
    "bootstrap_ci",
    "build_classifier",
    "check_plan",
    "compare_methods",
    "compare_single_label",
    "comparison_table",
    "cross_validate",
    "evaluate",
    "evaluate_methods",
    "evaluate_single_label",
    "inner_folds",
    "load_labeled",
    "make_fold_plan",
    "make_inputs",
    "per_theme_table",
    "stratified_subset",
    "summary_metrics",
    "theme_profile",
    "tune_thresholds",
    "write_profile_heatmap",
]

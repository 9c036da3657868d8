"""Single-label (multiclass) classifiers for labeled corpora such as THUCNews.

Public API::

    clf = build_single_label(cfg.classifier, tokenizer=tok, root=cfg)   # lexical, finetune, blend
    clf.fit(train_texts, train_labels)   # choices on a validation split carved from train
    proba = clf.predict_proba(dev_texts)
"""

from topics.classifier.multiclass.base import (
    TUNE_METRICS,
    SingleLabelClassifier,
    fit_temperature,
    softmax,
    validation_split,
)
from topics.classifier.multiclass.blend import (
    BlendClassifier,
    cross_fitted_mix,
    cross_fitted_scores,
    fit_weights,
    simplex_grid,
)
from topics.classifier.multiclass.finetune import FinetuneClassifier
from topics.classifier.multiclass.lexical import LexicalClassifier, LexicalFeatures
from topics.classifier.multiclass.nbsvm import NBLinearSVC
from topics.classifier.multiclass.registry import (
    SINGLE_LABEL_METHODS,
    build_single_label,
    is_single_label,
    member_config,
)

__all__ = [
    "SINGLE_LABEL_METHODS",
    "TUNE_METRICS",
    "BlendClassifier",
    "FinetuneClassifier",
    "LexicalClassifier",
    "LexicalFeatures",
    "NBLinearSVC",
    "SingleLabelClassifier",
    "build_single_label",
    "cross_fitted_mix",
    "cross_fitted_scores",
    "fit_temperature",
    "fit_weights",
    "is_single_label",
    "member_config",
    "simplex_grid",
    "softmax",
    "validation_split",
]

"""Fine-tuning of a sentence encoder with a classification head (single- and multi-label).

Public API::

    clf = EncoderClassifier("m3e-small", problem="single_label", epochs=3, seed=0)
    clf.fit(train_texts, train_labels, val_texts, val_labels)   # early stopping on val
    proba = clf.predict_proba(texts)
    clf.save(folder); clf = EncoderClassifier.load(folder)
"""

from topics.classifier.finetune.device import resolve_device, resolve_precision
from topics.classifier.finetune.trainer import PROBLEMS, EncoderClassifier

__all__ = ["PROBLEMS", "EncoderClassifier", "resolve_device", "resolve_precision"]

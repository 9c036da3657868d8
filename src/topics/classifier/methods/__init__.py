"""Theme-classification methods behind one contract (:class:`~.base.ThemeClassifier`).

Keyword rules and TF-IDF (``lexical``), zero-shot prototypes (``zeroshot``), classifiers on
sentence embeddings (``embedded``), the stacked ensemble (``ensemble``), sentence pooling
(``pooled``), SetFit (``setfit``) and a fine-tuned encoder (``finetune``); ``registry`` builds
one from a ``classifier`` config, and ``folds``/``thresholds`` are the inner tuning they share.
"""

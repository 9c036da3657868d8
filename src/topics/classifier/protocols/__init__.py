"""How theme and single-label classifiers are scored without learning from the scored text.

``authored`` (protocols A/B/C with the authored training set, paired bootstrap), ``loao``
(leave-one-article-out on gold-labelled units), ``single_label`` (train split vs eval split),
with their ``metrics``, ``figures``, and the experiment's ``report`` and ``tables``.
"""

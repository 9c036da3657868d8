"""Topic quality and stability metrics.

Public API::

    tokens = unit_tokens(units.norm, tokenizer)                   # same tokens as the topic words
    ev = evaluate_topics(result, tokens, labels=None, top_n=10)   # ev.metrics, ev.per_topic
    metrics = topic_metrics(result, tokens)                       # the metrics dict alone
    npmi_coherence(tokens, topic_words, top_n=10, window=None)    # NPMI (gensim c_npmi style)
    topic_diversity(topic_words, top_n=10)
    label_agreement(topics, labels)                               # NMI / ARI / V-measure
    stability_report(build_model, texts, embeddings, unit_ids, doc_ids, n_runs=5, seed=42)
"""

from topics.evaluation.clustering_metrics import label_agreement
from topics.evaluation.coherence import (
    CoherenceResult,
    npmi_coherence,
    presence_matrix,
    unit_tokens,
)
from topics.evaluation.diversity import topic_diversity
from topics.evaluation.metrics import TopicEvaluation, evaluate_topics, topic_metrics
from topics.evaluation.stability import (
    StabilityResult,
    average_jaccard,
    match_topics,
    stability_report,
)

__all__ = [
    "CoherenceResult",
    "StabilityResult",
    "TopicEvaluation",
    "average_jaccard",
    "evaluate_topics",
    "label_agreement",
    "match_topics",
    "npmi_coherence",
    "presence_matrix",
    "stability_report",
    "topic_diversity",
    "topic_metrics",
    "unit_tokens",
]

"""Topic modelling stage: BERTopic built from the ``topic_model`` config, fitted on unit embeddings.

Public API::

    model = build_topic_model(cfg.topic_model, tokenizer, embedder=..., seed_topics=..., zeroshot_topics=...)
    result = fit_topics(model, texts, embeddings, unit_ids, doc_ids)
    save_topic_model(model, out / "model")          # safetensors directory, never pickle
    model = load_topic_model(out / "model", embedder, tokenizer)
    write_figures(model, result, embeddings, out / "figures", texts=texts)
"""

from topics.topic_model.backend import CallableEmbedder, TokenFilter, as_backend, is_word
from topics.topic_model.bertopic_compat import UnitTokenizer
from topics.topic_model.builder import FitOptions, build_topic_model, fit_options
from topics.topic_model.components import TopicModelConfigError
from topics.topic_model.figures import project_2d, write_figures
from topics.topic_model.fit import CorpusTooSmallError, TopicResult, adapt_to_corpus, fit_topics
from topics.topic_model.fonts import find_cjk_font
from topics.topic_model.persist import load_topic_model, save_topic_model

__all__ = [
    "CallableEmbedder",
    "CorpusTooSmallError",
    "FitOptions",
    "TokenFilter",
    "TopicModelConfigError",
    "TopicResult",
    "UnitTokenizer",
    "adapt_to_corpus",
    "as_backend",
    "build_topic_model",
    "find_cjk_font",
    "fit_options",
    "fit_topics",
    "is_word",
    "load_topic_model",
    "project_2d",
    "save_topic_model",
    "write_figures",
]

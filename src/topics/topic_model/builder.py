"""Build a BERTopic model from the ``topic_model`` Hydra config node.

Every sub-model is built here from the config, so BERTopic never falls back on its defaults:
in particular its default vectorizer (and ``language="english"``) strips Chinese text, so the
project tokenizer always goes into our own ``CountVectorizer``.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bertopic import BERTopic
from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance
from bertopic.vectorizers import ClassTfidfTransformer
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import InterpolationResolutionError

from topics.config_schema import schema_keys
from topics.config_schema.topic_model import TopicModelConfig
from topics.topic_model.backend import Tokenizer, as_backend
from topics.topic_model.components import (
    TopicModelConfigError,
    build_clusterer,
    build_reducer,
    build_vectorizer,
    fit_mode,
    section,
)
from topics.topic_model.reduction_cache import CachedReducer

log = logging.getLogger(__name__)

#: Attribute of a built model holding its :class:`FitOptions`.

SeedTopics = Mapping[str, Sequence[str]] | Sequence[Sequence[str]]
ZeroshotTopics = Mapping[str, str | None] | Sequence[str]

#: The keys of a topic_model node: those of its schema (topics.config_schema), and ``name``.
_KNOWN_KEYS = schema_keys(TopicModelConfig) | {"name"}


@dataclass(frozen=True)
class FitOptions:
    """Settings that act at fit time rather than inside BERTopic.

    Attributes:
        seed: Random seed (also used for the 2-D map); ``None`` means not reproducible.
        min_units: Fewest units accepted (``topic_model.min_units_for_umap``).
        reduce_outliers: Whether to reassign the ``-1`` units after clustering.
        outlier_strategy: ``embeddings``, ``c-tf-idf`` or ``distributions``.
        outlier_threshold: Minimum similarity for reassignment.
        zeroshot_names: Display names of the zero-shot topics, aligned with the model's
            ``zeroshot_topic_list`` (which holds "name: description" texts).
        token_filter: Whether the vectorizer drops non-word tokens (kept for reloading).
        fit_mode: ``full`` (cluster every unit), ``sample`` (fit on ``sample_size`` units drawn
            with ``seed``, assign the rest) or ``online`` (``partial_fit`` over batches of
            ``online_batch_size`` units).
        sample_size: Units in the fitting sample of ``fit_mode=sample``.
        online_batch_size: Units per ``partial_fit`` call of ``fit_mode=online``.
    """

    seed: int | None = None
    min_units: int = 20
    reduce_outliers: bool = True
    outlier_strategy: str = "embeddings"
    outlier_threshold: float = 0.0
    zeroshot_names: tuple[str, ...] = ()
    token_filter: bool = True
    fit_mode: str = "full"
    sample_size: int = 20000
    online_batch_size: int = 5000


class KeyBERTFromModel(KeyBERTInspired):
    """KeyBERTInspired that always embeds its representative documents with the backend.

    BERTopic 0.17.4 indexes the precomputed embeddings with positions in its flat list of
    representative documents instead of document ids, so a topic vector would come from the
    wrong documents; ignoring ``embeddings`` makes it embed the right ones (a few per topic).
    """

    def extract_topics(self, topic_model, documents, c_tf_idf, topics, embeddings=None):
        """Fine-tune ``topics`` like KeyBERTInspired, without the precomputed embeddings."""
        return super().extract_topics(topic_model, documents, c_tf_idf, topics, embeddings=None)


def _resolved(cfg: DictConfig, key: str) -> Any:
    try:
        return cfg[key]
    except InterpolationResolutionError as exc:
        if key != "cache_dir":
            raise
        # composed outside a Hydra job (compose API, notebooks): paths.* may not resolve
        log.info("topic_model.cache_dir does not resolve here (%s); no reduction cache", exc)
        return None


def _plain(cfg: Any) -> dict[str, Any]:
    """Return ``cfg`` as a plain, resolved dict."""
    if isinstance(cfg, DictConfig):
        items = [(key, _resolved(cfg, str(key))) for key in cfg]
    elif isinstance(cfg, Mapping):
        items = list(cfg.items())
    else:
        raise TopicModelConfigError(
            f"topic_model config must be a mapping, got {type(cfg).__name__}"
        )
    return {
        key: OmegaConf.to_container(value, resolve=True)
        if isinstance(value, DictConfig | ListConfig)
        else value
        for key, value in items
    }


def _representation(conf: Mapping[str, Any], has_embedder: bool, seed: int | None) -> Any:
    names = conf.get("representation") or ["ctfidf"]
    names = [names] if isinstance(names, str) else list(names)
    top_n = int(conf.get("top_n_words", 10))
    models: list[Any] = []
    for name in (str(n).lower() for n in names):
        if name in ("ctfidf", "c-tf-idf", "none"):
            continue
        if name not in ("keybert", "mmr"):
            raise TopicModelConfigError(
                f"topic_model.representation has {name!r}; use ctfidf, keybert and/or mmr"
            )
        if not has_embedder:
            raise TopicModelConfigError(
                f"topic_model.representation={name} needs an embedder: pass "
                "build_topic_model(..., embedder=...) or use representation: ctfidf"
            )
        if name == "keybert":
            kb = section(conf, "keybert")
            keybert = KeyBERTFromModel(
                top_n_words=top_n,
                nr_repr_docs=int(kb.get("nr_repr_docs", 5)),
                nr_candidate_words=int(kb.get("nr_candidate_words", 100)),
                random_state=42 if seed is None else seed,
            )
            models.append(keybert)
        else:
            diversity = float(section(conf, "mmr").get("diversity", 0.3))
            models.append(MaximalMarginalRelevance(diversity=diversity, top_n_words=top_n))
    if not models:
        return None
    return models[0] if len(models) == 1 else models


def _nr_topics(value: Any) -> int | str | None:
    if value is None or value == "auto":
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 2:
        return value
    raise TopicModelConfigError(
        f"topic_model.nr_topics must be null, 'auto' or an int >= 2, got {value!r}"
    )


def _cached(reducer: Any, conf: Mapping[str, Any], seed: int | None, mode: str) -> Any:
    """Wrap a seeded batch reducer in a :class:`CachedReducer` when the config asks for it."""
    cache_dir = conf.get("cache_dir")
    if not conf.get("reduction_cache") or not cache_dir or seed is None or mode == "online":
        return reducer
    return CachedReducer(reducer, Path(str(cache_dir)) / "reductions")


def _positive(conf: Mapping[str, Any], key: str, default: int) -> int:
    value = conf.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TopicModelConfigError(f"topic_model.{key} must be a whole number >= 1, got {value!r}")
    return value


def _seed_list(seed_topics: SeedTopics | None) -> list[list[str]] | None:
    if seed_topics is None:
        return None
    groups = seed_topics.values() if isinstance(seed_topics, Mapping) else seed_topics
    words = [[str(w) for w in group] for group in groups]
    if not words or any(not group for group in words):
        raise TopicModelConfigError("seed_topics must hold at least one non-empty word list")
    return words


def _zeroshot_lists(topics: ZeroshotTopics | None) -> tuple[list[str], list[str]]:
    """Return (texts to embed, display names) for the zero-shot topics."""
    if topics is None:
        return [], []
    pairs = list(topics.items()) if isinstance(topics, Mapping) else [(t, None) for t in topics]
    texts = [f"{name}: {desc}" if desc else str(name) for name, desc in pairs]
    return texts, [str(name) for name, _ in pairs]


def build_topic_model(
    cfg: Mapping[str, Any],
    tokenizer: Tokenizer,
    embedder: Any = None,
    seed_topics: SeedTopics | None = None,
    zeroshot_topics: ZeroshotTopics | None = None,
) -> BERTopic:
    """Build an unfitted BERTopic model from the ``topic_model`` config node.

    Args:
        cfg: The ``topic_model`` node (DictConfig or mapping); see ``configs/topic_model/``.
        tokenizer: The project tokenizer, ``text -> tokens``.
        embedder: Project embedder (``embed(texts)``) or callable; needed by ``keybert``,
            ``mmr``, ``guided`` and ``zeroshot``. It is wrapped so BERTopic loads no model.
        seed_topics: Seed word lists (``{name: words}`` or a list of word lists), used when
            ``cfg.guided`` is true.
        zeroshot_topics: ``{name: description}`` or a list of names, used when
            ``cfg.zeroshot`` is true.

    Returns:
        The model, with its :class:`FitOptions` in the attribute ``topics_options``.

    Raises:
        TopicModelConfigError: A config value is invalid, or a mode lacks what it needs.
    """
    conf = _plain(cfg)
    unknown = sorted(set(conf) - _KNOWN_KEYS)
    if unknown:
        log.warning("topic_model config keys not used by build_topic_model: %s", unknown)
    seed = conf.get("seed")
    seed = None if seed is None else int(seed)
    if seed is None:
        log.warning("topic_model.seed is null: topic assignments will not be reproducible")
    backend = as_backend(embedder)
    guided, zeroshot = bool(conf.get("guided", False)), bool(conf.get("zeroshot", False))
    for flag, on, given in (
        ("guided", guided, seed_topics),
        ("zeroshot", zeroshot, zeroshot_topics),
    ):
        if on and (given is None or backend is None):
            arg = "seed_topics" if flag == "guided" else "zeroshot_topics"
            raise TopicModelConfigError(
                f"topic_model.{flag}=true needs both {arg}= and embedder= in build_topic_model"
            )
    mode = fit_mode(conf)
    zs_texts, zs_names = _zeroshot_lists(zeroshot_topics if zeroshot else None)
    outliers = section(conf, "outliers")
    strategy = str(outliers.get("strategy", "embeddings")).lower()
    if strategy not in ("embeddings", "c-tf-idf", "distributions"):
        raise TopicModelConfigError(
            f"topic_model.outliers.strategy={strategy!r}; use embeddings, c-tf-idf or distributions"
        )
    model = BERTopic(
        language=None,  # "english" would strip every non-ASCII character before c-TF-IDF
        top_n_words=int(conf.get("top_n_words", 10)),
        nr_topics=_nr_topics(conf.get("nr_topics")),
        calculate_probabilities=False,
        seed_topic_list=_seed_list(seed_topics) if guided else None,
        zeroshot_topic_list=zs_texts or None,
        zeroshot_min_similarity=float(conf.get("zeroshot_min_similarity", 0.7)),
        embedding_model=backend,
        umap_model=_cached(build_reducer(conf, seed), conf, seed, mode),
        hdbscan_model=build_clusterer(conf, seed),
        vectorizer_model=build_vectorizer(conf, tokenizer, online=mode == "online"),
        ctfidf_model=ClassTfidfTransformer(
            bm25_weighting=bool(section(conf, "ctfidf").get("bm25_weighting", False)),
            reduce_frequent_words=bool(section(conf, "ctfidf").get("reduce_frequent_words", True)),
        ),
        representation_model=_representation(conf, backend is not None, seed),
    )
    options = FitOptions(
        seed=seed,
        min_units=int(conf.get("min_units_for_umap", 20)),
        reduce_outliers=bool(outliers.get("reduce", True)),
        outlier_strategy=strategy,
        outlier_threshold=float(outliers.get("threshold", 0.0)),
        zeroshot_names=tuple(zs_names),
        token_filter=bool(section(conf, "vectorizer").get("token_filter", True)),
        fit_mode=mode,
        sample_size=_positive(conf, "sample_size", 20000),
        online_batch_size=_positive(conf, "online_batch_size", 5000),
    )
    return attach_options(model, options)


#: Fit-time settings of each live model, kept next to it rather than set on the BERTopic
#: object (which BERTopic's own save/load would not know about); entries go with their model.
_OPTIONS: weakref.WeakKeyDictionary[BERTopic, FitOptions] = weakref.WeakKeyDictionary()


def attach_options(model: BERTopic, options: FitOptions) -> BERTopic:
    """Record ``options`` as the fit-time settings of ``model``; return the model."""
    _OPTIONS[model] = options
    return model


def fit_options(model: BERTopic) -> FitOptions:
    """Return the :class:`FitOptions` recorded for ``model`` (the defaults when none were).

    :func:`build_topic_model` and :func:`topics.topic_model.load_topic_model` record them.
    """
    return _OPTIONS.get(model, FitOptions())

"""Build a theme classifier from a ``classifier`` config node (``configs/classifier/*.yaml``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from topics.classifier.methods.base import ThemeClassifier
from topics.classifier.methods.embedded import (
    EmbedKNNClassifier,
    EmbedLogRegClassifier,
    EmbedSVMClassifier,
    TopicFeatureClassifier,
)
from topics.classifier.methods.ensemble import StackedClassifier
from topics.classifier.methods.finetune import FineTunedClassifier
from topics.classifier.methods.lexical import (
    CachingTokenizer,
    KeywordClassifier,
    TfidfLinearClassifier,
)
from topics.classifier.methods.pooled import SentencePooledClassifier
from topics.classifier.methods.setfit import SetFitClassifier
from topics.classifier.methods.zeroshot import ZeroShotClassifier
from topics.data.types import InputError
from topics.embedding.base import Embedder
from topics.themes.taxonomy import Theme

#: Method name (config key ``method``) -> class.
METHODS: dict[str, type[ThemeClassifier]] = {
    cls.method: cls
    for cls in (
        KeywordClassifier,
        ZeroShotClassifier,
        TfidfLinearClassifier,
        EmbedLogRegClassifier,
        EmbedSVMClassifier,
        EmbedKNNClassifier,
        TopicFeatureClassifier,
        SetFitClassifier,
        StackedClassifier,
        FineTunedClassifier,
        SentencePooledClassifier,
    )
}
#: Config keys read here, not passed to the method.
_COMMON_KEYS = {"name", "method"}
#: Constructor arguments filled from the builder's arguments, never from the config.
_INJECTED = {"themes", "tokenizer", "embedder"}


def _plain(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``cfg`` as a plain dict with interpolations resolved."""
    from omegaconf import DictConfig, OmegaConf

    if isinstance(cfg, DictConfig):
        return dict(OmegaConf.to_container(cfg, resolve=True))  # type: ignore[arg-type]
    return dict(cfg)


def method_name(cfg: Mapping[str, Any]) -> str:
    """Return the config's display name (``name``, else ``method``)."""
    return str(cfg.get("name") or cfg.get("method"))


def build_classifier(
    cfg: Mapping[str, Any],
    themes: Sequence[Theme | str],
    tokenizer: Callable[[str], list[str]] | None = None,
    embedder: Embedder | None = None,
) -> ThemeClassifier:
    """Create the classifier a config node describes (unfitted).

    Args:
        cfg: ``method`` (one of :data:`METHODS`), optional ``name``, and the method's
            constructor arguments (``grid``, ``inner_splits``, ``seed``, hyperparameters).
        themes: Taxonomy themes (``load_taxonomy()``), or class names for single-label corpora.
        tokenizer: The project tokenizer (``tfidf_linear``; ``keywords`` with
            ``match: tokens``); wrapped in a :class:`CachingTokenizer`.
        embedder: Sentence embedder (embedding methods, zero-shot); may be a
            ``CachedEmbedder``.

    Raises:
        InputError: Unknown method or config key.
    """
    params = _plain(cfg)
    method = params.get("method")
    if method not in METHODS:
        from topics.classifier.multiclass import SINGLE_LABEL_METHODS

        if method in SINGLE_LABEL_METHODS:
            raise InputError(
                f"classifier '{method_name(params)}' (method {method}) is a single-label "
                "classifier: use it with a labeled corpus that has an eval split (data=thucnews); "
                f"theme classifiers are {sorted(METHODS)}"
            )
        raise InputError(f"classifier.method is {method!r}; use one of {sorted(METHODS)}")
    cls = METHODS[method]
    accepted = set(list(inspect.signature(cls.__init__).parameters)[1:])
    unknown = set(params) - _COMMON_KEYS - (accepted - _INJECTED)
    if unknown:
        raise InputError(
            f"unknown key(s) {sorted(unknown)} in classifier config '{method_name(params)}' "
            f"(method {method}); allowed: {sorted(_COMMON_KEYS | (accepted - _INJECTED))}"
        )
    kwargs = {k: v for k, v in params.items() if k in accepted}
    if "tokenizer" in accepted and tokenizer is not None:
        cached = tokenizer if isinstance(tokenizer, CachingTokenizer) else None
        kwargs["tokenizer"] = cached or CachingTokenizer(tokenizer)
    if "embedder" in accepted:
        kwargs["embedder"] = embedder
    return cls(themes=list(themes), **kwargs)

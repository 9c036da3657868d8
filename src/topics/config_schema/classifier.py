"""Schemas of the ``classifier`` group, one per method (``method`` in ``configs/classifier``).

Their keys are the arguments of the method's class (:mod:`topics.classifier.methods.registry` and
:mod:`topics.classifier.multiclass.registry`; ``tests/config`` checks that they agree) other
than the injected ones (themes, embedder, tokenizer). ``grid`` maps argument names to lists of
values to tune; ``members`` and ``base`` hold other classifier configs (or config names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omegaconf import MISSING


@dataclass
class ClassifierConfig:
    """Keys of every classifier."""

    name: str = MISSING
    method: str = MISSING
    seed: int | None = MISSING


@dataclass
class TunedConfig(ClassifierConfig):
    """A theme classifier tuned inside the training articles."""

    grid: dict[str, Any] | None = MISSING
    inner_splits: int = MISSING


@dataclass
class KeywordsConfig(TunedConfig):
    """``method: keywords``."""

    saturation: float = MISSING
    match: str = MISSING


@dataclass
class ZeroshotConfig(TunedConfig):
    """``method: zeroshot``."""

    views: list[str] = MISSING
    aggregate: str = MISSING
    calibration: str = MISSING
    temperature: float = MISSING


@dataclass
class LinearConfig(TunedConfig):
    """A method with one linear model's ``C`` (the base of the schemas below)."""

    C: float = MISSING


@dataclass
class EmbedLinearConfig(LinearConfig):
    """``method: embed_logreg`` or ``embed_svm``; ``mixtures`` > 0 adds synthetic paragraphs."""

    mixtures: float = MISSING
    mix_max_parts: int = MISSING


@dataclass
class TopicFeaturesConfig(LinearConfig):
    """``method: topic_features``."""

    use_probability: bool = MISSING


@dataclass
class EmbedKnnConfig(TunedConfig):
    """``method: embed_knn``."""

    k: int = MISSING
    weights: str = MISSING


@dataclass
class TfidfLinearConfig(LinearConfig):
    """``method: tfidf_linear``; ``min_df``/``max_df`` are counts (int) or shares (float)."""

    min_df: Any = MISSING
    max_df: Any = MISSING
    sublinear_tf: bool = MISSING
    ngram_max: int = MISSING


@dataclass
class SentenceMaxConfig(TunedConfig):
    """``method: sentence_max``: a paragraph takes the best of its sentences' scores."""

    base: dict[str, Any] | None = MISSING


@dataclass
class StackedConfig(LinearConfig):
    """``method: stacked``: a logistic regression over the members' out-of-fold scores."""

    members: list[Any] = MISSING
    stack_splits: int = MISSING
    thresholds: str = MISSING


@dataclass
class SetfitConfig(LinearConfig):
    """``method: setfit``."""

    model: str = MISSING
    num_iterations: int = MISSING
    max_steps: int = MISSING
    batch_size: int = MISSING
    max_seq_length: int = MISSING
    learning_rate: float = MISSING
    device: str = MISSING


@dataclass
class FinetuneConfig(ClassifierConfig):
    """Keys of both fine-tuned encoders (theme and single-label ``method: finetune``)."""

    model: str = MISSING
    lr: float = MISSING
    weight_decay: float = MISSING
    batch_size: int = MISSING
    epochs: int = MISSING
    warmup: float = MISSING
    max_length: int = MISSING
    pooling: str = MISSING
    device: str = MISSING
    precision: str = MISSING
    patience: int = MISSING


@dataclass
class ThemeFinetuneConfig(FinetuneConfig):
    """The multi-label theme classifier ``method: finetune`` (configs/classifier/theme_*)."""

    validation_splits: int = MISSING
    grid: dict[str, Any] | None = MISSING


@dataclass
class SingleLabelFinetuneConfig(FinetuneConfig):
    """The single-label ``method: finetune`` (THUCNews classes)."""

    label_smoothing: float = MISSING
    checkpoint_dir: str | None = MISSING
    progress: bool = MISSING
    val_size: float = MISSING
    seed_offset: int = MISSING
    bucket_pool: int | None = MISSING
    fgm_epsilon: float = MISSING
    refit: bool = MISSING


@dataclass
class LexicalConfig(ClassifierConfig):
    """Keys of every single-label ``method: lexical`` model."""

    model: str = MISSING
    char_ngrams: list[int] = MISSING
    word_ngrams: list[int] | None = MISSING
    tokenizer_profile: str = MISSING
    min_df: int = MISSING
    sublinear_tf: bool = MISSING
    grid: dict[str, Any] | None = MISSING
    tune_metric: str = MISSING
    val_size: float = MISSING
    refit: bool = MISSING


@dataclass
class LexicalLinearConfig(LexicalConfig):
    """``method: lexical`` with ``model: logreg``, ``svm`` or ``nbsvm``."""

    C: float = MISSING


@dataclass
class LexicalSgdConfig(LexicalConfig):
    """``method: lexical`` with ``model: sgd``."""

    alpha: float = MISSING
    loss: str = MISSING


@dataclass
class BlendConfig(ClassifierConfig):
    """``method: blend``: weighted average of single-label members' probabilities."""

    members: list[Any] = MISSING
    objective: str = MISSING
    weight_step: float = MISSING
    val_size: float = MISSING
    refit_members: bool = MISSING


CLASSIFIER_SCHEMAS: dict[str, Any] = {
    "base_keywords": KeywordsConfig,
    "base_zeroshot": ZeroshotConfig,
    "base_embed_linear": EmbedLinearConfig,
    "base_topic_features": TopicFeaturesConfig,
    "base_embed_knn": EmbedKnnConfig,
    "base_tfidf_linear": TfidfLinearConfig,
    "base_sentence_max": SentenceMaxConfig,
    "base_stacked": StackedConfig,
    "base_setfit": SetfitConfig,
    "base_theme_finetune": ThemeFinetuneConfig,
    "base_finetune": SingleLabelFinetuneConfig,
    "base_lexical_linear": LexicalLinearConfig,
    "base_lexical_sgd": LexicalSgdConfig,
    "base_blend": BlendConfig,
}

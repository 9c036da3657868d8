"""Schemas of the smaller groups: paths, tokenizer, themes, stability, coherence, report, tracking."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING


@dataclass
class PathsConfig:
    """``paths``: where things live."""

    root_dir: str = MISSING
    output_dir: str = MISSING
    cache_dir: str = MISSING
    shared_data_dir: str = MISSING


@dataclass
class TokenizerConfig:
    """``tokenizer``: the arguments of :class:`topics.tokenize.ChineseTokenizer`.

    ``user_dict`` and ``stopwords`` are ``default``, a path, a list of those, or null.
    """

    user_dict: Any = MISSING
    extra_terms: list[str] = MISSING
    stopwords: Any = MISSING
    extra_stopwords: list[str] = MISSING
    keep_words: list[str] = MISSING
    to_simplified: bool = MISSING
    min_chars: int = MISSING
    hmm: bool = MISSING
    drop_pos: list[str] = MISSING
    profile: str = MISSING


@dataclass
class ThemeKeywords:
    """A theme's keywords, Chinese and English."""

    zh: list[str] = MISSING
    en: list[str] = MISSING


@dataclass
class ThemeConfig:
    """One theme of the taxonomy."""

    id: str = MISSING
    name_zh: str = MISSING
    name_en: str = MISSING
    definition: str = MISSING
    includes: list[str] = MISSING
    excludes: list[str] = MISSING
    keywords: ThemeKeywords = field(default_factory=ThemeKeywords)
    description_zh: str = MISSING


@dataclass
class ThemesConfig:
    """``themes``: the taxonomy of the theme classifier."""

    name: str = MISSING
    themes: list[ThemeConfig] = MISSING


@dataclass
class StabilityConfig:
    """``stability``: refits of the topic model and their agreement."""

    enabled: bool = MISSING
    n_runs: int = MISSING
    shuffle: bool = MISSING
    resample: str = MISSING
    sample_fraction: float = MISSING
    scale_min_cluster_size: bool = MISSING
    top_n: int = MISSING


@dataclass
class CoherenceConfig:
    """``coherence``; ``reference`` is a data config (path, limit, and any data keys)."""

    reference: dict[str, Any] = MISSING
    window: int = MISSING


@dataclass
class ReportConfig:
    """``report``: the run report and its topic views."""

    enabled: bool = MISSING
    time_bin: str = MISSING
    groups: list[str] = MISSING
    source_field: str | None = MISSING
    max_groups: int = MISSING
    paragraphs_per_topic: int = MISSING
    paragraph_chars: int = MISSING
    max_topics: int = MISSING


@dataclass
class TrackingConfig:
    """``tracking``: the MLflow store (keys of both stores; each YAML sets its own)."""

    name: str = MISSING
    enabled: bool = MISSING
    uri: str | None = MISSING
    check_timeout_s: float = MISSING


@dataclass
class SqliteTrackingConfig(TrackingConfig):
    """``tracking: sqlite``: a local SQLite store."""

    db_path: str = MISSING
    artifact_root: str = MISSING


@dataclass
class ServerTrackingConfig(TrackingConfig):
    """``tracking: server``: a running MLflow server."""

    http_max_retries: int = MISSING
    http_timeout_s: float = MISSING


STAGE_SCHEMAS: dict[str, dict[str, Any]] = {
    "paths": {"base_paths": PathsConfig},
    "tokenizer": {"base_tokenizer": TokenizerConfig},
    "themes": {"base_themes": ThemesConfig},
    "stability": {"base_stability": StabilityConfig},
    "coherence": {"base_coherence": CoherenceConfig},
    "report": {"base_report": ReportConfig},
    "tracking": {"base_sqlite": SqliteTrackingConfig, "base_server": ServerTrackingConfig},
}

"""Schema of the primary config (``configs/config.yaml``): its own keys and its groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING


@dataclass
class ThemeStageConfig:
    """``theme_stage``: what the theme stage does with the ``classifier``."""

    mode: str = MISSING
    training: list[str] = MISSING
    protocols: list[str] = MISSING
    n_resamples: int = MISSING
    log_model: bool = MISSING
    n_train: int | None = MISSING
    n_dev: int | None = MISSING


@dataclass
class RootConfig:
    """The root of ``topics-run``'s config; each group is typed by its own schema."""

    paths: Any = MISSING
    data: Any = MISSING
    preprocess: Any = MISSING
    tokenizer: Any = MISSING
    embedding: Any = MISSING
    topic_model: Any = MISSING
    themes: Any = MISSING
    classifier: Any = MISSING
    stability: Any = MISSING
    coherence: Any = MISSING
    report: Any = MISSING
    compute: Any = MISSING
    tracking: Any = MISSING
    seed: int = MISSING
    experiment_name: str = MISSING
    run_name: str | None = MISSING
    theme_stage: ThemeStageConfig = field(default_factory=ThemeStageConfig)
    stages: list[str] = MISSING
    quiet: bool = MISSING
    figures: bool = MISSING
    objective_metric: str | None = MISSING

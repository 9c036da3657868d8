"""Schema of the primary config (``configs/config.yaml``): its own keys and its groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omegaconf import MISSING


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
    theme_training: list[str] = MISSING
    stages: list[str] = MISSING
    quiet: bool = MISSING
    figures: bool = MISSING
    objective_metric: str | None = MISSING

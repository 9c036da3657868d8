"""Schema of the ``preprocess`` group (``configs/preprocess/*.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING


@dataclass
class BoilerplateConfig:
    """``preprocess.boilerplate``: which blocks of a page are furniture."""

    enabled: bool = MISSING
    long_size: float = MISSING
    short_size: float = MISSING
    min_margin: float = MISSING
    heading_support: float = MISSING
    max_gap: int = MISSING
    island_share: float = MISSING


@dataclass
class NormalizeConfig:
    """``preprocess.normalize``: the modeling text's normalization."""

    to_simplified: bool = MISSING


@dataclass
class DedupConfig:
    """``preprocess.dedup``: near-duplicate documents (MinHash LSH)."""

    enabled: bool = MISSING
    action: str = MISSING
    threshold: float = MISSING
    shingle: int = MISSING
    num_perm: int = MISSING
    bands: int = MISSING


@dataclass
class PreprocessConfig:
    """``preprocess``: cleaning and segmentation of documents into units."""

    name: str = MISSING
    block_mode: str = MISSING
    boilerplate: BoilerplateConfig = field(default_factory=BoilerplateConfig)
    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    unit: str = MISSING
    min_unit_chars: int = MISSING
    window_chars: int = MISSING
    stride_sentences: int = MISSING
    dedup: DedupConfig = field(default_factory=DedupConfig)
    seed: int | None = MISSING

"""Schemas of the ``data`` group, one per corpus format (``configs/data/*.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omegaconf import MISSING


@dataclass
class ManifestDataConfig:
    """``format: manifest``: a folder with ``manifest.jsonl`` (the seed corpus when path is null).

    ``topic_consensus`` is the default of ``topic_model.consensus.enabled`` for the corpus.
    """

    name: str = MISSING
    format: str = MISSING
    path: str | None = MISSING
    language: str | None = MISSING
    limit: int | None = MISSING
    theme_mode: str = MISSING
    topic_consensus: bool = False


@dataclass
class RecordsDataConfig:
    """Keys of every record format: where a record's fields are, and what to do on bad ones.

    ``eval_path``, ``label_names_path`` and ``label_texts`` are for labeled corpora (a held-out
    split, label id -> name, class name -> text for zero-shot); null when the corpus has none.
    ``topic_consensus`` is the default of ``topic_model.consensus.enabled`` for the corpus.
    """

    name: str = MISSING
    format: str = MISSING
    path: str = MISSING
    id_field: str | None = MISSING
    text_field: str | None = MISSING
    title_field: str | None = MISSING
    date_field: str | None = MISSING
    label_field: str | None = MISSING
    language_field: str | None = MISSING
    language: str | None = MISSING
    on_error: str = MISSING
    on_duplicate: str = MISSING
    limit: int | None = MISSING
    theme_mode: str = MISSING
    topic_consensus: bool = False
    description: str | None = None
    eval_path: str | None = None
    label_names_path: str | None = None
    label_texts: dict[str, str] | None = None


@dataclass
class JsonlDataConfig(RecordsDataConfig):
    """``format: jsonl``: one JSON object per line."""

    encoding: str | None = MISSING


@dataclass
class TsvDataConfig(RecordsDataConfig):
    """``format: tsv``: one record per tab-separated row."""

    has_header: bool = MISSING
    columns: list[str] | None = MISSING
    encoding: str | None = MISSING


@dataclass
class CsvDataConfig(TsvDataConfig):
    """``format: csv``: one record per row."""

    delimiter: str = MISSING


@dataclass
class ParquetDataConfig(RecordsDataConfig):
    """``format: parquet``: rows read in batches."""

    batch_size: int = MISSING


@dataclass
class FolderDataConfig(RecordsDataConfig):
    """``format: folder``: one document per text file."""

    pattern: str = MISSING
    extensions: list[str] = MISSING
    encoding: str | None = MISSING


DATA_SCHEMAS: dict[str, Any] = {
    "base_manifest": ManifestDataConfig,
    "base_jsonl": JsonlDataConfig,
    "base_csv": CsvDataConfig,
    "base_tsv": TsvDataConfig,
    "base_parquet": ParquetDataConfig,
    "base_folder": FolderDataConfig,
}

"""Data stage: read a corpus (seed manifest, folder, JSONL, CSV, TSV, Parquet) into Documents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

from topics.data.types import Document, InputError

__all__ = ["Document", "InputError", "load_documents"]

# keys of a data config that describe the corpus beyond what the readers take
_EXTRA_KEYS = {"eval_path", "label_names_path", "label_texts"}


def _plain(cfg: Mapping[str, Any]) -> dict[str, Any]:
    try:
        from omegaconf import DictConfig, OmegaConf

        if isinstance(cfg, DictConfig):
            return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
    except ImportError:  # pragma: no cover - omegaconf comes with hydra-core
        pass
    return dict(cfg)


def _label_names(path: str | None) -> list[str] | None:
    if not path:
        return None
    file = Path(path)
    if not file.is_file():
        raise InputError(
            f"data.label_names_path={path} does not exist; for the shared corpora set "
            "paths.shared_data_dir=... (or TOPICS_SHARED_DATA), else fix it or set it to null."
        )
    return [line.strip() for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]


def _name_label(doc: Document, names: list[str] | None, where: str) -> Document:
    if names is None or doc.label is None:
        return doc
    try:
        return replace(doc, label=names[int(doc.label)])
    except (ValueError, IndexError) as err:
        raise InputError(
            f"{doc.source}: label {doc.label!r} is not an id of {where} "
            f"(0..{len(names) - 1}); fix the label or data.label_names_path."
        ) from err


def load_documents(cfg: Mapping[str, Any], split: str = "train") -> list[Document]:
    """Read the corpus described by a ``data`` config node.

    Args:
        cfg: The ``data`` config (see ``configs/data/*.yaml``). ``format: manifest`` reads a
            folder with ``manifest.jsonl`` (the seed corpus when ``path`` is null); other formats
            go to :func:`topics.data.readers.read_corpus`.
        split: ``train`` reads ``path``; ``eval`` reads ``eval_path`` (labeled corpora).

    Returns:
        The documents, label ids replaced by names when ``label_names_path`` is set.
    """
    values = _plain(cfg)
    limit = values.get("limit")
    if split not in {"train", "eval"}:
        raise ValueError(f"split must be train or eval, not {split!r}")
    if split == "eval":
        if not values.get("eval_path"):
            raise InputError(f"data={values.get('name')} has no eval_path; set data.eval_path=...")
        values["path"] = values["eval_path"]
    if values.get("format") == "manifest":
        from topics.data.seeds import read_manifest_corpus

        docs = list(islice(read_manifest_corpus(values.get("path")), limit))
        language = values.get("language")
        return [replace(d, language=d.language or language) for d in docs]
    from topics.data.readers import read_corpus

    names = _label_names(values.get("label_names_path"))
    reader_cfg = {k: v for k, v in values.items() if k not in _EXTRA_KEYS}
    where = values.get("label_names_path") or ""
    return [_name_label(d, names, where) for d in read_corpus(reader_cfg)]

"""The preprocess stage: boilerplate removal, language, deduplication, segmentation, normalization."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from topics.data.types import Document
from topics.preprocess.boilerplate import BoilerplateRemover, CleanResult
from topics.preprocess.dedup import find_duplicates
from topics.preprocess.normalize import detect_language, normalize_for_model
from topics.preprocess.segment import segment

log = logging.getLogger(__name__)

_BOILERPLATE_KEYS = (
    "long_size",
    "short_size",
    "min_margin",
    "heading_support",
    "max_gap",
    "island_share",
)


@dataclass
class PreprocessResult:
    """Documents, units and the auditable ingestion report of one corpus."""

    documents: pd.DataFrame
    units: pd.DataFrame
    report: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write the tables (Parquet) and the report (JSON and Markdown) into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [
            out / "documents.parquet",
            out / "units.parquet",
            out / "ingestion_report.json",
            out / "ingestion_report.md",
        ]
        self.documents.to_parquet(paths[0], index=False)
        self.units.to_parquet(paths[1], index=False)
        payload = {"documents": self.report, "duplicates": self.duplicates}
        paths[2].write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        paths[3].write_text(self.markdown(), encoding="utf-8")
        return paths

    def summary_table(self) -> pd.DataFrame:
        """Per-document counts: lines kept and dropped, units, language."""
        cols = ["doc_id", "language", "lines_kept", "lines_dropped", "n_units", "duplicate_of"]
        return pd.DataFrame([{k: r.get(k) for k in cols} for r in self.report], columns=cols)

    def markdown(self) -> str:
        """A readable report: counts per document, then every dropped line with its reason."""
        lines = ["# Ingestion report", "", markdown_table(self.summary_table()), ""]
        for r in self.report:
            lines += [f"## {r['doc_id']}", "", f"source: `{r['source']}`", ""]
            lines += [f"- line {d['line']}: {d['reason']} — {d['text'][:80]}" for d in r["dropped"]]
            lines.append("")
        if self.duplicates:
            lines += ["## Duplicates", ""]
            lines += [
                f"- {d['doc_id']} repeats {d['duplicate_of']} ({d['kind']}, "
                f"Jaccard {d['similarity']})"
                for d in self.duplicates
            ]
        return "\n".join(lines) + "\n"


def markdown_table(df: pd.DataFrame) -> str:
    """Render a small DataFrame as a Markdown table (no extra dependency)."""
    cells = [
        [("" if pd.isna(v) else str(v)).replace("|", "\\|") for v in row]
        for row in df.itertuples(index=False)
    ]
    header = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "---|" * len(df.columns)
    return "\n".join([header, rule] + ["| " + " | ".join(r) + " |" for r in cells])


def _sections(result: CleanResult) -> tuple[list, list[str | None]]:
    """Kept paragraph blocks and the heading each sits under."""
    paragraphs, sections, heading = [], [], None
    for d in result.kept:
        if d.role == "heading":
            heading = d.block.text
        elif d.role == "paragraph":
            paragraphs.append(d.block)
            sections.append(heading)
    return paragraphs, sections


def preprocess_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Complete ``cfg`` with ``configs/preprocess/default.yaml``, checked by its schema.

    Args:
        cfg: A whole ``preprocess`` node, or some of its keys; ``seed`` is null unless given.

    Returns:
        The whole node as plain containers, interpolations resolved.

    Raises:
        omegaconf.errors.OmegaConfBaseException: A key the schema lacks, or a wrong type.
    """
    from omegaconf import DictConfig, OmegaConf

    from topics.config_schema import load_option

    given = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg
    node = OmegaConf.merge(load_option("preprocess", "default"), {"seed": None}, given)
    return OmegaConf.to_container(node, resolve=True)  # type: ignore[return-value]


def preprocess_documents(docs: Iterable[Document], cfg: Mapping[str, Any]) -> PreprocessResult:
    """Clean, deduplicate and segment documents into units.

    Args:
        docs: Documents from the data stage.
        cfg: The ``preprocess`` config node (see ``configs/preprocess/default.yaml``), or only
            the keys that differ from that file (``{"unit": "sentence"}``).

    Returns:
        The documents and units tables and the ingestion report.
    """
    docs = list(docs)
    cfg = preprocess_config(cfg)
    bp_cfg = cfg["boilerplate"]
    remover = BoilerplateRemover(
        block_mode=cfg["block_mode"], **{k: bp_cfg[k] for k in _BOILERPLATE_KEYS}
    ).fit(d.text for d in docs)
    enabled = bp_cfg["enabled"]
    simplify = bool(cfg["normalize"]["to_simplified"])
    cleaned = [remover.transform_one(d.doc_id, d.text, d.title) for d in docs]
    if not enabled:
        for c in cleaned:
            for dec in c.decisions:
                dec.keep, dec.reason = True, "boilerplate removal disabled"
                dec.role = "paragraph" if dec.role == "furniture" else dec.role

    clean_texts = ["\n".join(x.block.text for x in c.kept) for c in cleaned]
    dedup_cfg = cfg["dedup"]
    duplicates = []
    if dedup_cfg["enabled"]:
        duplicates = find_duplicates(
            [d.doc_id for d in docs],
            [normalize_for_model(t, simplify) for t in clean_texts],
            threshold=dedup_cfg["threshold"],
            shingle=dedup_cfg["shingle"],
            num_perm=dedup_cfg["num_perm"],
            bands=dedup_cfg["bands"],
            seed=cfg["seed"],
        )
    dup_of = {p.doc_id: p for p in duplicates}
    drop_dups = dedup_cfg["action"] == "drop"

    doc_rows, unit_rows, report = [], [], []
    for doc, result, clean in zip(docs, cleaned, clean_texts, strict=True):
        language = doc.language or detect_language(clean)
        dup = dup_of.get(doc.doc_id)
        units = []
        if not (dup and drop_dups):
            paragraphs, sections = _sections(result)
            units = segment(
                doc.doc_id,
                doc.text,
                paragraphs,
                sections,
                unit=cfg["unit"],
                min_chars=cfg["min_unit_chars"],
                window_chars=cfg["window_chars"],
                stride_sentences=cfg["stride_sentences"],
            )
        for u in units:
            unit_rows.append(
                {
                    **u.__dict__,
                    "norm": normalize_for_model(u.text, simplify),
                    "language": language,
                    "label": doc.label,
                }
            )
        doc_rows.append(
            {
                "doc_id": doc.doc_id,
                "title": doc.title,
                "date": doc.date or next(iter(result.dates_found), None),
                "language": language,
                "label": doc.label,
                "source": doc.source,
                "n_chars": len(doc.text),
                "n_units": len(units),
                "duplicate_of": dup.duplicate_of if dup else None,
            }
        )
        report.append(
            {
                "doc_id": doc.doc_id,
                "source": doc.source,
                "language": language,
                "lines_kept": len(result.kept),
                "lines_dropped": len(result.dropped),
                "n_units": len(units),
                "dates_found": result.dates_found,
                "duplicate_of": dup.duplicate_of if dup else None,
                "kept": [
                    {"line": d.block.line, "role": d.role, "reason": d.reason} for d in result.kept
                ],
                "dropped": [
                    {"line": d.block.line, "text": d.block.text, "reason": d.reason}
                    for d in result.dropped
                ],
            }
        )
    if duplicates:
        log.info(
            "found %d duplicate documents (%s)", len(duplicates), "dropped" if drop_dups else "kept"
        )
    units_df = pd.DataFrame(
        unit_rows,
        columns=[
            "unit_id",
            "doc_id",
            "index",
            "kind",
            "start",
            "end",
            "text",
            "section",
            "norm",
            "language",
            "label",
        ],
    )
    return PreprocessResult(
        pd.DataFrame(doc_rows), units_df, report, [p.__dict__ for p in duplicates]
    )

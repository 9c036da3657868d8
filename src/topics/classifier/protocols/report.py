"""Run the theme protocols for configured methods, store results, render the README tables.

Settings: ``configs/theme_protocols.yaml``. Results (one JSON and one parquet file per method)
go under its ``results_dir``; :func:`render_markdown` builds the tables from those files only.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from topics.classifier.protocols.authored import (
    PROTOCOLS,
    LabeledSet,
    ProtocolResult,
    authored_groups,
    drop_own_keywords,
    protocol_a,
    protocol_b,
    protocol_c,
)
from topics.classifier.protocols.metrics import per_theme_table
from topics.data.types import InputError
from topics.paths import config_dir

if TYPE_CHECKING:
    from topics.embedding.base import Embedder

log = logging.getLogger(__name__)


def load_settings(path: str | Path | None = None) -> dict[str, Any]:
    """Read ``configs/theme_protocols.yaml`` (or ``path``) into a plain dict."""
    from omegaconf import OmegaConf

    file = Path(path) if path is not None else config_dir() / "theme_protocols.yaml"
    if not file.is_file():
        raise InputError(f"{file}: protocol settings not found")
    return OmegaConf.to_container(OmegaConf.load(file), resolve=True)  # type: ignore[return-value]


def method_config(entry: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Return the classifier config of a ``methods`` entry (``${seed}`` resolved, name set)."""
    from omegaconf import OmegaConf

    from topics.config_schema import load_option

    file = config_dir() / "classifier" / f"{entry['classifier']}.yaml"
    if not file.is_file():
        raise InputError(f"protocols: methods entry {dict(entry)} names no file {file}")
    node = OmegaConf.merge({"seed": seed}, {"classifier": load_option("classifier", file.stem)})
    cfg = OmegaConf.to_container(node, resolve=True)["classifier"]  # type: ignore[index]
    cfg.update(entry.get("override") or {})
    cfg["name"] = entry.get("name") or cfg.get("name") or entry["classifier"]
    return cfg


def protocol_embedder(seed: int, cache_dir: str | Path) -> Embedder:
    """The m3e-small embedder of the protocol scripts: seeded, quiet, caching in ``cache_dir``."""
    from omegaconf import OmegaConf

    from topics.config_schema import load_option
    from topics.embedding import build_embedder

    cfg = OmegaConf.to_container(load_option("embedding", "m3e_small"))
    cfg.update(seed=seed, show_progress=False, cache_dir=str(cache_dir))  # type: ignore[union-attr]
    return build_embedder(cfg)


def to_traditional(texts: Sequence[str], config: str = "s2twp") -> list[str]:
    """Convert texts to Traditional Chinese with OpenCC ``config`` (Taiwan phrases: ``s2twp``)."""
    import opencc

    converter = opencc.OpenCC(config)
    return [converter.convert(t) for t in texts]


def gold_sets(theme_ids: Sequence[str], opencc_config: str) -> dict[str, LabeledSet]:
    """The 113 gold paragraphs as each protocol feeds them (``A``/``B``, ``C``, ``C_raw``)."""
    from topics.data.seeds import read_manifest_corpus
    from topics.preprocess.normalize import clean_whitespace, nfkc, normalize_for_model
    from topics.preprocess.pipeline import preprocess_documents
    from topics.themes import label_matrix, load_gold

    units = preprocess_documents(list(read_manifest_corpus()), {"unit": "paragraph"}).units
    Y = label_matrix(load_gold(theme_ids=list(theme_ids)), units, list(theme_ids))
    gold = LabeledSet(
        units.norm.astype(str).tolist(),
        Y,
        units.doc_id.astype(str).to_numpy(),
        units.unit_id.astype(str).tolist(),
    )
    traditional = to_traditional(units.text.astype(str).tolist(), opencc_config)
    return {
        "gold": gold,
        "C": gold.with_texts([normalize_for_model(t) for t in traditional]),
        "C_raw": gold.with_texts([clean_whitespace(nfkc(t)) for t in traditional]),
    }


def authored_set(theme_ids: Sequence[str], n_groups: int, seed: int) -> LabeledSet:
    """The authored training set, normalized like every model input, with pseudo-groups."""
    from topics.preprocess.normalize import normalize_for_model

    frame, Y = _authored_frame(theme_ids)
    texts = [normalize_for_model(str(t)) for t in frame.text]
    groups = authored_groups(len(texts), n_groups, seed)
    return LabeledSet(texts, np.asarray(Y, dtype=np.int8), groups, frame.id.astype(str).tolist())


def _authored_frame(theme_ids: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The authored examples (``seeds/themes/*.jsonl``) and their label matrix."""
    from topics.themes.authored import authored_label_matrix, load_authored

    frame = load_authored(theme_ids=list(theme_ids))
    return frame, np.asarray(authored_label_matrix(frame, list(theme_ids)))


def run_method(
    entry: Mapping[str, Any],
    settings: Mapping[str, Any],
    authored: LabeledSet,
    golds: Mapping[str, LabeledSet],
    *,
    embedder: Any,
    tokenizer: Any,
    protocols: Sequence[str] = PROTOCOLS,
) -> dict[str, ProtocolResult]:
    """Run one ``methods`` entry under ``protocols``; return results keyed by protocol."""
    from topics.classifier import build_classifier
    from topics.themes import load_taxonomy

    seed, n = int(settings["seed"]), int(settings["n_resamples"])
    taxonomy = entry.get("taxonomy")
    themes = load_taxonomy(config_dir() / "themes" / f"{taxonomy}.yaml" if taxonomy else None)
    cfg = method_config(entry, seed)
    name = cfg["name"]
    clf = build_classifier(cfg, themes, tokenizer=tokenizer, embedder=embedder)
    gold = golds["gold"]
    out: dict[str, ProtocolResult] = {}
    if {"A", "C", "C_raw"} & set(protocols):
        res_a, model = protocol_a(clf, authored, gold, name=name, n_resamples=n, seed=seed)
        out["A"] = res_a
        for key in ("C", "C_raw"):
            if key in protocols:
                out[key] = protocol_c(
                    model, golds[key], protocol=key, name=name, n_resamples=n, seed=seed
                )
    if "B" in protocols:
        out["B"] = protocol_b(clf, authored, gold, name=name, n_resamples=n, seed=seed)
        variants = [("B_own_dropped", authored, True)] if entry.get("drop_own_keywords") else []
        if entry.get("gold_only_loao"):  # the protocol before issue 10, for comparison
            variants.append(("LOAO_gold", None, False))
            if entry.get("drop_own_keywords"):
                variants.append(("LOAO_gold_own_dropped", None, True))
        for key, train, drop in variants:
            hook = drop_own_keywords(themes) if drop else None
            res = protocol_b(
                clf, train, gold, name=name, fold_themes=hook, n_resamples=n, seed=seed
            )
            res.protocol = key
            out[key] = res
    return out


def save_results(
    results: Mapping[str, ProtocolResult], folder: Path, n_authored: int | None = None
) -> None:
    """Write ``<method>.json`` (metrics, choices) and ``<method>.parquet`` (predictions).

    Protocols not in ``results`` keep what an earlier call stored for the method.
    ``n_authored`` (the size of the authored set the results were trained with) is stored
    with each protocol's entry.
    """
    folder.mkdir(parents=True, exist_ok=True)
    name = next(iter(results.values())).method
    meta_file, pred_file = folder / f"{name}.json", folder / f"{name}.parquet"
    payload = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
    old = pd.read_parquet(pred_file) if pred_file.is_file() else None
    for key, res in results.items():
        payload[key] = {
            "summary": res.summary,
            "per_theme": res.per_theme.reset_index().to_dict("records"),
            "fits": res.fits,
            "seconds": res.seconds,
            "written": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "n_authored": n_authored if n_authored is not None else res.n_authored,
        }
    meta_file.write_text(json.dumps(payload, indent=1, default=float))
    frames = [res.predictions_frame() for res in results.values()]
    if old is not None:
        frames.insert(0, old[~old.protocol.isin(list(results))])
    pd.concat(frames, ignore_index=True).to_parquet(pred_file, index=False)


def load_results(folder: Path) -> dict[tuple[str, str], ProtocolResult]:
    """Read every method's predictions back into :class:`ProtocolResult` objects."""
    out: dict[tuple[str, str], ProtocolResult] = {}
    for file in sorted(folder.glob("*.parquet")):
        meta = json.loads(file.with_suffix(".json").read_text())
        frame = pd.read_parquet(file)
        for (method, protocol), part in frame.groupby(["method", "protocol"], sort=False):
            theme_ids = [c.split("/", 1)[1] for c in part.columns if c.startswith("gold/")]
            gold = part[[f"gold/{t}" for t in theme_ids]].to_numpy()
            pred = part[[f"pred/{t}" for t in theme_ids]].to_numpy()
            info = meta[protocol]
            out[(str(method), str(protocol))] = ProtocolResult(
                protocol=str(protocol),
                method=str(method),
                theme_ids=theme_ids,
                scores=part[[f"score/{t}" for t in theme_ids]].to_numpy(),
                pred=pred,
                gold=gold,
                doc_ids=part.doc_id.tolist(),
                unit_ids=part.unit_id.tolist(),
                summary=info["summary"],
                per_theme=per_theme_table(gold, pred, theme_ids),
                fits=info["fits"],
                seconds=info["seconds"],
                n_authored=info.get("n_authored"),
            )
    return out

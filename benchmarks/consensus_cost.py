"""Cost of consensus topics against one topic-model fit, in one process, cold reduction cache.

Both fits use the same units, embeddings (from the embedding cache) and token lists, and no
reduction cache, so every UMAP is computed: (a) the configured model fitted once
(``fit_topics``: UMAP + HDBSCAN + c-TF-IDF + outlier reduction; after an untimed warm-up fit,
so numba's first compilation is not counted), (b) the same model with
``topic_model.consensus.enabled=true`` (``n_models`` reductions and clusterings on resamples,
the co-association graph, then c-TF-IDF and outlier reduction on the consensus topics).
Target: consensus / single <= 5.

    .venv/bin/python benchmarks/consensus_cost.py [--size 10000] [--override KEY=VALUE ...]
        [--out PATH]

Reads the first ``--size`` headlines of THUCNews train (``../shared/data`` or
``$TOPICS_SHARED_DATA``; skipped with exit 0 when absent). Any ``--override`` applies to both.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TOPICS_SHARED_DATA", REPO.parent / "shared" / "data"))
TARGET_RATIO = 5.0


def _config(overrides: list[str]):
    from hydra import compose, initialize_config_dir

    from topics.paths import config_dir

    cache = os.environ.get("TOPICS_CACHE_DIR", str(REPO / ".cache"))
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return compose(
            config_name="config",
            overrides=[
                "experiment=thucnews_topics",
                f"paths.shared_data_dir={SHARED}",
                f"paths.cache_dir={cache}",
                "topic_model.reduction_cache=false",
                *overrides,
            ],
        )


def main(argv: list[str] | None = None) -> int:
    """Time one fit and one consensus fit; write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--override", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks" / "results" / "consensus_cost.json"
    )
    args = parser.parse_args(argv)
    if not (SHARED / "thucnews_train.txt").is_file():
        print(f"consensus_cost: THUCNews not found in {SHARED}; skipped")
        return 0
    from omegaconf import OmegaConf

    from topics.data import load_documents
    from topics.embedding import build_embedder
    from topics.evaluation import unit_tokens
    from topics.preprocess.pipeline import preprocess_documents
    from topics.tokenize import build_tokenizer
    from topics.topic_model import build_topic_model
    from topics.topic_model.fitting import fit_configured

    cfg = _config(args.override)
    data = OmegaConf.to_container(cfg.data, resolve=True)
    data.update(path=str(SHARED / "thucnews_train.txt"), limit=args.size)
    units = preprocess_documents(load_documents(data), cfg.preprocess).units
    texts = units.norm.tolist()
    tokenizer = build_tokenizer(cfg.tokenizer)
    vectors = build_embedder(cfg.embedding, tokenizer=tokenizer).embed(texts)
    tokens = unit_tokens(texts, tokenizer)
    result: dict[str, object] = {
        "n_units": len(texts),
        "overrides": args.override,
        "cpu_count": os.cpu_count(),
        "load_average_start": os.getloadavg(),
        "python": platform.python_version(),
    }
    # the first fit of a process also compiles numba's UMAP/HDBSCAN code: an untimed warm-up
    runs = (("warmup", False), ("single", False), ("consensus", True))
    for name, consensus in runs:
        conf = OmegaConf.merge(cfg.topic_model, {"consensus": {"enabled": consensus}})

        def build(seed, conf=conf):
            return build_topic_model(OmegaConf.merge(conf, {"seed": seed}), tokenizer)

        start = time.perf_counter()
        fitted = fit_configured(conf, build, texts, vectors, token_lists=tokens)
        seconds = time.perf_counter() - start
        if name == "warmup":
            print(f"warm-up fit (numba compiles): {seconds:.1f} s", flush=True)
            continue
        result[f"{name}_s"] = round(seconds, 2)
        result[f"{name}_n_topics"] = fitted.result.n_topics
        result[f"{name}_outlier_ratio_before"] = round(fitted.result.outlier_ratio_before, 4)
        print(f"{name}: {seconds:.1f} s, {fitted.result.n_topics} topics", flush=True)
    result["n_models"] = int(cfg.topic_model.consensus.n_models)
    result["resample"] = str(cfg.topic_model.consensus.resample)
    result["n_epochs"] = cfg.topic_model.consensus.n_epochs  # null: umap-learn's own
    result["ratio"] = round(result["consensus_s"] / result["single_s"], 2)  # type: ignore[operator]
    result["target_ratio"] = TARGET_RATIO
    result["load_average_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

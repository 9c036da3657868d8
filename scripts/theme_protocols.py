"""Run the theme-classifier protocols A/B/C and render their tables into the experiment README.

    python scripts/theme_protocols.py                       # every method of the settings
    python scripts/theme_protocols.py --methods keywords embed_logreg --protocols A C
    python scripts/theme_protocols.py --render              # tables from the stored results only

Settings: configs/theme_protocols.yaml. Results: one JSON + parquet file per method.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from topics.classifier.protocols.report import (
    authored_set,
    gold_sets,
    load_settings,
    protocol_embedder,
    run_method,
    save_results,
)
from topics.classifier.protocols.tables import write_readme

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Run the selected methods and protocols, then render the README tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--settings", help="protocol settings YAML (default: configs/theme_protocols.yaml)"
    )
    parser.add_argument("--methods", nargs="*", help="names of methods entries (default: all)")
    parser.add_argument("--protocols", nargs="*", help="subset of the settings' protocols")
    parser.add_argument("--render", action="store_true", help="only render the README tables")
    parser.add_argument("--readme", default=str(ROOT / "experiments/theme_classifiers/README.md"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    settings = load_settings(args.settings)
    results_dir = ROOT / settings["results_dir"]
    if not args.render:
        from topics.themes import load_taxonomy, theme_ids
        from topics.tokenize import build_tokenizer

        # the project's embedding cache
        embedder = protocol_embedder(int(settings["seed"]), ROOT / ".cache" / "embeddings")
        tokenizer = build_tokenizer()
        ids = theme_ids(load_taxonomy())
        golds = gold_sets(ids, settings["opencc"])
        authored = authored_set(ids, int(settings["authored_groups"]), int(settings["seed"]))
        logging.info(
            "authored set: %d texts; gold: %d paragraphs", len(authored), len(golds["gold"])
        )
        entries = settings["methods"]
        if args.methods:
            entries = [e for e in entries if (e.get("name") or e["classifier"]) in args.methods]
        for entry in entries:
            results = run_method(
                entry,
                settings,
                authored,
                golds,
                embedder=embedder,
                tokenizer=tokenizer,
                protocols=args.protocols or settings["protocols"],
            )
            save_results(results, results_dir, n_authored=len(authored.texts))
            for key, res in results.items():
                s = res.summary
                logging.info(
                    "%s %s: macro-F1 %.3f [%.3f, %.3f] (%.0f s)",
                    res.method,
                    key,
                    s["themes/macro_f1"],
                    s["themes/macro_f1_ci_low"],
                    s["themes/macro_f1_ci_high"],
                    res.seconds,
                )
    write_readme(
        Path(args.readme),
        results_dir,
        settings,
        " ".join(["python scripts/theme_protocols.py", "--render"]),
    )


if __name__ == "__main__":
    main()

"""Report how many taxonomy keywords occur verbatim in the seed articles, and in how many.

The keyword method is only an honest baseline if its keywords were not lifted from the text it is
scored on. This script counts, for a taxonomy (the working copy, or one at a git revision), how
many keywords occur in the normalized seed articles and how many occur in exactly one article
(the keywords a leave-one-article-out fold would see only in its held-out article). It prints
counts only, never the seed text.

Usage::

    PYTHONPATH=src python scripts/keyword_overlap.py                 # working-copy taxonomy
    PYTHONPATH=src python scripts/keyword_overlap.py --rev main~1    # taxonomy at a git revision
    PYTHONPATH=src python scripts/keyword_overlap.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

from topics.paths import seeds_dir
from topics.preprocess.normalize import normalize_for_model
from topics.themes import default_taxonomy_path, load_taxonomy
from topics.themes.taxonomy import Theme


def seed_texts(folder: Path) -> dict[str, str]:
    """Return the normalized (NFKC, Simplified, lowercase) text of each seed article by id."""
    rows = [
        json.loads(line) for line in (folder / "manifest.jsonl").read_text("utf-8").splitlines()
    ]
    return {
        r["id"]: normalize_for_model((folder / r["file"]).read_text("utf-8")).lower()
        for r in rows
        if r.get("id")
    }


def _occurs(keyword: str, text: str) -> bool:
    """Substring match as the keyword classifier does it: Latin keywords as whole words."""
    word = unicodedata.normalize("NFKC", keyword).lower()
    if word.isascii():
        return re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text) is not None
    return word in text


def overlap(themes: list[Theme], texts: dict[str, str]) -> dict[str, dict[str, int]]:
    """Count, per language and theme, keywords found in the seeds and found in one article only."""
    report: dict[str, dict[str, int]] = {}
    for lang in ("zh", "en"):
        counts = {"keywords": 0, "in_seeds": 0, "in_one_article": 0}
        for theme in themes:
            words = theme.keywords_zh if lang == "zh" else theme.keywords_en
            per_theme = {"keywords": len(words), "in_seeds": 0, "in_one_article": 0}
            for word in words:
                n_docs = sum(_occurs(word, t) for t in texts.values())
                per_theme["in_seeds"] += n_docs > 0
                per_theme["in_one_article"] += n_docs == 1
            report[f"{lang}/{theme.id}"] = per_theme
            for key in counts:
                counts[key] += per_theme[key]
        report[f"{lang}/all"] = counts
    return report


def _taxonomy_at(rev: str) -> list[Theme]:
    """Load the default taxonomy as it is at git revision ``rev``."""
    rel = default_taxonomy_path().resolve().relative_to(Path.cwd().resolve())
    text = subprocess.run(
        ["git", "show", f"{rev}:{rel.as_posix()}"], check=True, capture_output=True, text=True
    ).stdout
    from omegaconf import OmegaConf

    return load_taxonomy(OmegaConf.create(text))


def main(argv: list[str] | None = None) -> int:
    """Print the overlap table; optionally write it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", help="git revision of configs/themes/default.yaml (run at root)")
    parser.add_argument("--seeds", type=Path, default=None, help="seed folder (default: bundled)")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)
    themes = _taxonomy_at(args.rev) if args.rev else load_taxonomy()
    texts = seed_texts(args.seeds or seeds_dir())
    report = overlap(themes, texts)
    print(f"{len(texts)} seed articles; taxonomy: {args.rev or 'working copy'}")
    print(f"{'lang/theme':<18}{'keywords':>9}{'in seeds':>10}{'in 1 article':>14}")
    for key, row in report.items():
        print(f"{key:<18}{row['keywords']:>9}{row['in_seeds']:>10}{row['in_one_article']:>14}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

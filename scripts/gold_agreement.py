"""Write seeds/gold/AGREEMENT.md: agreement of the two gold annotation passes and their adjudication.

Reads the two passes (``seeds/gold/annotations/pass1.jsonl``, ``pass2.jsonl``), the adjudicated
gold (``seeds/gold/themes_paragraph.jsonl``) and the annotation guide, and writes Cohen's kappa per
theme, every disagreement with its final label, and the final label counts.

The second pass was made with the guide, whose borderline examples quote paragraphs labelled by
the first pass; kappa is therefore also reported on the units that the guide does not quote.

Usage:
    PYTHONPATH=src python scripts/gold_agreement.py [--out seeds/gold/AGREEMENT.md]
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pandas as pd

from topics.data.seeds import read_manifest_corpus
from topics.preprocess.pipeline import preprocess_documents
from topics.themes import (
    agreement,
    default_gold_path,
    disagreements,
    label_stats,
    load_gold,
    load_taxonomy,
    theme_ids,
)

GOLD_DIR = default_gold_path().parent
_QUOTE = re.compile(r"「(.*?)」", re.DOTALL)
_RULE = re.compile(r"rule (A\d+)")
_CLAUSE = re.compile(r"……|[,,;;。、?!?!]")


def _squash(text: str) -> str:
    """Keep letters and digits only (quotes, punctuation and line breaks differ guide vs text)."""
    return "".join(ch for ch in text if ch.isalnum())


def guide_quoted_units(guide: str, units: pd.DataFrame, min_chars: int = 6) -> set[str]:
    """Return the ids of units quoted in the guide's "Borderline examples" section.

    Args:
        guide: Text of ANNOTATION_GUIDE.md.
        units: Paragraph units with ``unit_id`` and ``text``.
        min_chars: Shortest quoted clause (letters and digits) that is matched.

    Returns:
        Ids of units whose text contains a clause of a 「…」 quote of that section.
    """
    match = re.search(r"^## Borderline examples.*?(?=^## )", guide, re.MULTILINE | re.DOTALL)
    if match is None:
        raise SystemExit("ANNOTATION_GUIDE.md: no '## Borderline examples' section found.")
    quotes = _QUOTE.findall(match.group(0))
    # whole quoted stretches (a short quote may be a whole unit) and their longer clauses (a
    # quote may leave out words between its clauses)
    stretches = {_squash(part) for quote in quotes for part in quote.split("……")}
    clauses = {_squash(c) for quote in quotes for c in _CLAUSE.split(quote)}
    pieces = {p for p in stretches if len(p) >= 4} | {c for c in clauses if len(c) >= min_chars}
    texts = {uid: _squash(text) for uid, text in zip(units["unit_id"], units["text"], strict=True)}
    return {uid for uid, text in texts.items() if any(p in text for p in pieces)}


def _table(frame: pd.DataFrame, digits: int = 3) -> list[str]:
    """Render a frame as markdown table lines (index as the first column)."""
    cols = [frame.index.name or ""] + list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, row in frame.iterrows():
        cells = [str(idx)]
        for v in row:
            if isinstance(v, float):
                cells.append("n/a" if v != v else f"{v:.{digits}f}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _kappa_frame(a: pd.DataFrame, b: pd.DataFrame, ids: Sequence[str]) -> pd.DataFrame:
    """Agreement table with counts as integers except the macro row."""
    frame = agreement(a, b, ids).rename(
        columns={"n_a": "pass 1", "n_b": "pass 2", "n_both": "both"}
    )
    for col in ("pass 1", "pass 2", "both"):
        frame[col] = [f"{v:.0f}" if t != "macro" else f"{v:.1f}" for t, v in frame[col].items()]
    return frame


def render(
    pass_a: pd.DataFrame,
    pass_b: pd.DataFrame,
    final: pd.DataFrame,
    quoted: set[str],
    ids: Sequence[str],
) -> str:
    """Return the markdown text of AGREEMENT.md."""
    overall = _kappa_frame(pass_a, pass_b, ids)
    stats = label_stats(final, ids)
    overall.insert(
        len(overall.columns) - 2,
        "final",
        [str(int(stats.loc[t, "count"])) if t in stats.index else "" for t in overall.index],
    )
    keep = ~pass_a["unit_id"].isin(quoted)
    unquoted = _kappa_frame(
        pass_a[keep], pass_b[pass_b["unit_id"].isin(pass_a["unit_id"][keep])], ids
    )
    diff = disagreements(pass_a, pass_b, ids)
    final_by = dict(zip(final["unit_id"], final["themes"], strict=True))
    note_by = dict(zip(final["unit_id"], final["note"], strict=True))
    excerpt_by = dict(zip(final["unit_id"], final["excerpt"], strict=True))
    n = len(pass_a)
    same_units = int((~(pass_a.set_index("unit_id").index.isin(diff["unit_id"]))).sum())

    def fmt(themes: Sequence[str]) -> str:
        return ", ".join(themes) if themes else "[]"

    out = [
        "# Agreement of the two gold annotation passes",
        "",
        f"_Generated {date.today().isoformat()} by `scripts/gold_agreement.py` from "
        "`annotations/pass1.jsonl`, `annotations/pass2.jsonl`, `themes_paragraph.jsonl` "
        "and `ANNOTATION_GUIDE.md`; do not edit by hand._",
        "",
        f"Two passes by hand over the {n} paragraph units; the second was made blind to the first "
        "labels (see [ANNOTATION_GUIDE.md](ANNOTATION_GUIDE.md)). Per theme, Cohen's kappa "
        "compares the two 0/1 vectors over the units; `agreement` is the share of units with the "
        "same decision; `pass 1` / `pass 2` / `both` count units labelled with the theme; `final` "
        "is the adjudicated count in `themes_paragraph.jsonl`. `macro` averages the themes.",
        "",
        f"All {n} units: {same_units} with identical label sets, {len(diff)} with a difference.",
        "",
        *_table(overall),
        "",
        f"Units with no theme: pass 1 {int((pass_a['themes'].map(len) == 0).sum())}, "
        f"pass 2 {int((pass_b['themes'].map(len) == 0).sum())}, "
        f"final {int(stats.loc['0', 'count'])}.",
        "",
        "## Units the guide does not quote",
        "",
        "The second pass had the guide, whose borderline examples quote "
        f"{len(quoted)} of the units with the first pass's labels, so agreement on those is "
        f"partly inherited. On the other {int(keep.sum())} units:",
        "",
        *_table(unquoted),
        "",
        "## Disagreements and their adjudication",
        "",
        "| unit | excerpt | pass 1 | pass 2 | final | rule |",
        "|---|---|---|---|---|---|",
    ]
    for r in diff.itertuples():
        rules = ", ".join(sorted(set(_RULE.findall(note_by[r.unit_id])))) or "-"
        out.append(
            f"| `{r.unit_id}` | {excerpt_by[r.unit_id]} | {fmt(r.themes_a)} | {fmt(r.themes_b)} "
            f"| {fmt(final_by[r.unit_id])} | {rules} |"
        )
    kept_a = sum(set(final_by[r.unit_id]) == set(r.themes_a) for r in diff.itertuples())
    kept_b = sum(set(final_by[r.unit_id]) == set(r.themes_b) for r in diff.itertuples())
    out += [
        "",
        f"Final label set equals pass 1 on {kept_a}, pass 2 on {kept_b} and neither on "
        f"{len(diff) - kept_a - kept_b} of the {len(diff)} units. The adjudication was made by "
        "the second annotator, reading each paragraph again against the rules.",
        "",
        'Rules A1-A8: section "Adjudication rules" of the guide; each unit\'s `note` in '
        "`themes_paragraph.jsonl` says what changed and why.",
        "",
    ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> None:
    """Compute the agreement tables and write the markdown file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pass-a", type=Path, default=GOLD_DIR / "annotations" / "pass1.jsonl")
    parser.add_argument("--pass-b", type=Path, default=GOLD_DIR / "annotations" / "pass2.jsonl")
    parser.add_argument("--final", type=Path, default=default_gold_path())
    parser.add_argument("--guide", type=Path, default=GOLD_DIR / "ANNOTATION_GUIDE.md")
    parser.add_argument("--out", type=Path, default=GOLD_DIR / "AGREEMENT.md")
    args = parser.parse_args(argv)
    ids = theme_ids(load_taxonomy())
    pass_a, pass_b = load_gold(args.pass_a, ids), load_gold(args.pass_b, ids)
    final = load_gold(args.final, ids)
    units = preprocess_documents(list(read_manifest_corpus()), {"unit": "paragraph"}).units
    quoted = guide_quoted_units(args.guide.read_text(encoding="utf-8"), units)
    args.out.write_text(render(pass_a, pass_b, final, quoted, ids), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""Markdown tables of the stored protocol results, and the default method they select."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from topics.classifier.protocols.authored import PairedTest, ProtocolResult, paired_bootstrap
from topics.classifier.protocols.report import load_results

START, END = "<!-- protocols:start -->", "<!-- protocols:end -->"
_ORDER = ("A", "B", "C", "C_raw", "B_own_dropped", "LOAO_gold", "LOAO_gold_own_dropped")


STALE = "†"


def current_size(results: Mapping[tuple[str, str], ProtocolResult]) -> int | None:
    """The largest authored-set size among the results: the set they are compared on."""
    sizes = [r.n_authored for r in results.values() if r.n_authored is not None]
    return max(sizes) if sizes else None


def is_stale(res: ProtocolResult, current: int | None) -> bool:
    """True when ``res`` was trained with an authored set other than the current one."""
    return current is not None and res.n_authored != current


def _cell(res: ProtocolResult | None, current: int | None = None) -> str:
    if res is None:
        return "–"
    s = res.summary
    mark = STALE if is_stale(res, current) else ""
    return (
        f"{s['themes/macro_f1']:.3f} [{s['themes/macro_f1_ci_low']:.2f}, "
        f"{s['themes/macro_f1_ci_high']:.2f}]{mark}"
    )


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def choose_default(
    results: Mapping[tuple[str, str], ProtocolResult], settings: Mapping[str, Any]
) -> tuple[dict[str, str], list[PairedTest]]:
    """Apply the rules of ``configs/theme_protocols.yaml`` to the protocol-A results.

    Only results trained with the current authored set (:func:`current_size`) take part.

    Returns:
        The method each rule picks (``declared``: the rule fixed before any result; ``revised``:
        the top method if it beats the ``baseline`` by the paired test, else the baseline), and
        the paired tests of the top method against every other one.
    """
    current = current_size(results)
    a = {m: r for (m, p), r in results.items() if p == "A" and not is_stale(r, current)}
    top = max(a, key=lambda m: a[m].summary["themes/macro_f1"])
    tests = [
        paired_bootstrap(a[top], a[m], int(settings["paired_resamples"]), int(settings["seed"]))
        for m in a
        if m != top
    ]
    alpha = float(settings["alpha"])
    tied = {top} | {t.second for t in tests if t.p_value >= alpha}
    order = [m for m in settings["cost_order"] if m in tied]
    baseline = str(settings["baseline"])
    beats = any(t.second == baseline and t.p_value < alpha and t.diff > 0 for t in tests)
    return {
        "declared": order[0] if order else top,
        "revised": top if beats or top == baseline else baseline,
    }, tests


def render_markdown(results_dir: Path, settings: Mapping[str, Any], command: str) -> str:
    """Build the protocol section of the experiment README from the stored results."""
    results = load_results(results_dir)
    if not results:
        return f"_No results in {results_dir} yet: run `{command.replace(' --render', '')}`._"
    declared = [e.get("name") or e["classifier"] for e in settings["methods"]]
    found = list(dict.fromkeys(m for m, _ in results))
    methods = [m for m in declared if m in found] + [m for m in found if m not in declared]
    present = [p for p in _ORDER if any(p == q for _, q in results)]
    current = current_size(results)
    rows = [[m] + [_cell(results.get((m, p)), current) for p in present] for m in methods]
    stale = sorted({r.n_authored for r in results.values() if is_stale(r, current)}, key=str)
    parts = [
        f"_Generated {time.strftime('%Y-%m-%d', time.gmtime())} by `{command}` from "
        f"`{settings['results_dir']}/`._",
        "",
        "Macro-F1 over the 113 gold paragraphs [95% article-bootstrap CI, "
        f"{settings['n_resamples']} resamples of the 5 articles].",
        "",
        _table(["method", *present], rows),
    ]
    if stale:
        sizes = ", ".join("unknown" if n is None else str(n) for n in stale)
        parts += [
            "",
            f"{STALE} trained with an earlier authored set ({sizes} examples, not the current "
            f"{current}): not re-run for its cost, shown for reference, left out of the choice "
            "below.",
        ]
    a = {m: results[(m, "A")] for m in methods if (m, "A") in results}
    if a:
        ids = next(iter(a.values())).theme_ids
        parts += ["", "**Per-theme F1 under A**", ""]
        parts.append(
            _table(
                ["method", *ids, "micro-F1"],
                [
                    [m + (STALE if is_stale(r, current) else "")]
                    + [f"{f:.2f}" for f in r.per_theme["f1"]]
                    + [f"{r.summary['themes/micro_f1']:.3f}"]
                    for m, r in a.items()
                ],
            )
        )
        parts += ["", "**Chosen under A** (tuned on CV folds of the authored set only)", ""]
        rows = []
        for m, r in a.items():
            fit = r.fits[0] if r.fits else {}
            params = ", ".join(f"{k}={v}" for k, v in fit.get("best_params", {}).items()) or "fixed"
            thr = " ".join(f"{v:.2f}" for v in fit.get("thresholds", {}).values())
            name = m + (STALE if is_stale(r, current) else "")
            rows.append([name, params, thr, f"{fit.get('fit_seconds', 0):.0f}"])
        parts.append(
            _table(["method", "hyperparameters", f"thresholds ({', '.join(ids)})", "fit s"], rows)
        )
        chosen, tests = choose_default(results, settings)
        top = tests[0].first if tests else chosen["revised"]
        parts += [
            "",
            f"**Paired article bootstrap under A** ({settings['paired_resamples']} resamples): "
            f"macro-F1 of `{top}` (highest point estimate) minus each other method.",
            "",
            _table(
                ["other method", "difference", "95% CI", "p"],
                [
                    [
                        t.second,
                        f"{t.diff:+.3f}",
                        f"[{t.ci_low:+.3f}, {t.ci_high:+.3f}]",
                        f"{t.p_value:.3f}",
                    ]
                    for t in sorted(tests, key=lambda t: -t.diff)
                ],
            ),
            "",
            f"Declared rule (alpha {settings['alpha']}, then the cheapest of the methods the top "
            f"one does not beat): `{chosen['declared']}`. Revised rule (the top method when it "
            f"beats the former default `{settings['baseline']}` by the paired test, else "
            f"`{settings['baseline']}`): **`{chosen['revised']}`**, the default.",
        ]
    return "\n".join(parts)


def write_readme(
    readme: Path, results_dir: Path, settings: Mapping[str, Any], command: str
) -> None:
    """Replace the text between the protocol markers of ``readme`` with fresh tables."""
    text = readme.read_text(encoding="utf-8")
    body = render_markdown(results_dir, settings, command)
    block = f"{START}\n{body}\n{END}"
    if START in text and END in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")

"""Single-label classifiers on THUCNews: accuracy, macro-F1, time and memory per method.

Each method is one real job, ``topics-run data=thucnews classifier=<name> stages=[themes]``: it
trains on the whole training file (choices on a validation split carved from it) and scores the
whole dev file. Measured per job: accuracy and macro-F1 on dev, train and predict seconds (from
the run's metrics), the job's wall time and peak RSS, and the hyperparameters it chose. For a
blend, its members' dev accuracies and a paired comparison with its best member (paired bootstrap
CI of the accuracy difference, exact McNemar test) are added.

Checkpoints of fine-tuning live in ``--cache`` (default ``<repo>/.cache``), so a killed benchmark
resumes; a blend run after a ``finetune`` run (or the reverse) reuses the fine-tuned encoder when
the split and settings match, and the JSON says so (``resumed_from_epoch``).

    .venv/bin/python benchmarks/classifier_thucnews.py                  # all default methods
    .venv/bin/python benchmarks/classifier_thucnews.py --methods lexical_svm --markdown-only
    .venv/bin/python benchmarks/classifier_thucnews.py --paired blend_a blend_b   # rows run with --keep
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _bench import (
    REPO,
    fmt,
    machine,
    markdown_table,
    read_mlflow_runs,
    run_measured,
    thucnews_or_skip,
    write_json,
)

DEFAULT_METHODS = ["lexical_svm", "lexical_sgd", "blend", "finetune", "lexical_logreg"]
RESULTS = REPO / "benchmarks" / "results" / "classifier_thucnews.json"
TABLE = REPO / "benchmarks" / "results" / "classifier_thucnews.md"
README = REPO / "benchmarks" / "README.md"
BEGIN, END = "<!-- classifier_thucnews:begin -->", "<!-- classifier_thucnews:end -->"


def paired_comparison(
    gold: np.ndarray, a: np.ndarray, b: np.ndarray, n_boot: int = 2000, seed: int = 0
) -> dict[str, float]:
    """Accuracy difference ``a - b``: paired bootstrap 95% CI and exact McNemar p-value."""
    from scipy.stats import binomtest

    right_a, right_b = (a == gold).astype(float), (b == gold).astype(float)
    diff = right_a - right_b
    rng = np.random.default_rng(seed)
    boots = [diff[rng.integers(0, len(diff), len(diff))].mean() for _ in range(n_boot)]
    only_a, only_b = int((diff > 0).sum()), int((diff < 0).sum())
    p = binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
    return {
        "accuracy_diff": float(diff.mean()),
        "ci95_low": float(np.percentile(boots, 2.5)),
        "ci95_high": float(np.percentile(boots, 97.5)),
        "only_first_right": only_a,
        "only_second_right": only_b,
        "mcnemar_p": float(p),
    }


def run_method(name: str, cache: Path, overrides: list[str], keep: bool) -> dict[str, Any]:
    """Run one ``topics-run`` job for classifier ``name``; return its measured row."""
    root = Path(tempfile.mkdtemp(prefix=f"clf-{name}-"))
    args = [f"classifier={name}", "data=thucnews", "stages=[themes]", "quiet=true", *overrides]
    print(f"--- {name}: topics-run {' '.join(args)}", flush=True)
    measured = run_measured(args, root, cache)
    row: dict[str, Any] = {
        "method": name,
        "returncode": measured.returncode,
        "wall_s": measured.wall_s,
        "peak_rss_mib": measured.peak_rss_mib,
        "max_rss_single_mib": measured.max_rss_single_mib,
    }
    runs = read_mlflow_runs(root)
    if measured.returncode != 0 or not runs:
        row["log_tail"] = Path(measured.log).read_text(encoding="utf-8")[-3000:]
        print(row["log_tail"], file=sys.stderr)
        return row
    m = runs[-1]["metrics"]
    row.update(
        accuracy=m.get("thucnews/accuracy"),
        macro_f1=m.get("thucnews/macro_f1"),
        n_train=m.get("thucnews/n_train"),
        n_dev=m.get("thucnews/n_dev"),
        train_s=m.get("time/classifier_train_s"),
        predict_s=m.get("time/classifier_predict_s"),
        chosen={k[len("chosen/") :]: v for k, v in m.items() if k.startswith("chosen/")},
        members={k: v for k, v in m.items() if k.startswith(("member/", "time/member/"))},
        finetune={k: v for k, v in m.items() if k.startswith("finetune/")},
    )
    job = Path(runs[-1]["job_dir"] or "")
    predictions = job / "themes" / "dev_predictions.csv"
    if predictions.is_file():
        frame = pd.read_csv(predictions, keep_default_na=False)
        member_cols = [c for c in frame.columns if c.startswith("predicted/")]
        if member_cols:
            best = max(member_cols, key=lambda c: float((frame[c] == frame.label).mean()))
            row["blend_vs_best_member"] = {
                "best_member": best.split("/", 1)[1],
                **paired_comparison(
                    frame.label.to_numpy(), frame.predicted.to_numpy(), frame[best].to_numpy()
                ),
            }
        if keep:  # for --paired
            row["predictions_csv"] = str(predictions)
    if not keep:
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"{name}: accuracy {fmt(row['accuracy'], '{:.4f}')}, macro-F1 "
        f"{fmt(row['macro_f1'], '{:.4f}')}, wall {row['wall_s']:.0f} s",
        flush=True,
    )
    return row


def paired_runs(rows: list[dict[str, Any]], a: str, b: str) -> dict[str, Any]:
    """Paired comparison of two kept runs' dev predictions (``a`` minus ``b``)."""
    by_name = {r["method"]: r for r in rows}
    frames = []
    for name in (a, b):
        path = by_name.get(name, {}).get("predictions_csv")
        if not path or not Path(path).is_file():
            raise SystemExit(f"--paired: no kept predictions for {name!r}; run it with --keep")
        frames.append(pd.read_csv(path, keep_default_na=False))
    fa, fb = frames
    if len(fa) != len(fb) or not (fa.label == fb.label).all():
        raise SystemExit(f"--paired: {a} and {b} did not score the same dev texts")
    gold = fa.label.to_numpy()
    return {
        "a": a,
        "b": b,
        **paired_comparison(gold, fa.predicted.to_numpy(), fb.predicted.to_numpy()),
    }


def _paired_text(cmp_: dict[str, Any]) -> str:
    """One :func:`paired_comparison` result in words."""
    return (
        f"accuracy {100 * cmp_['accuracy_diff']:+.2f} points, paired bootstrap 95% CI "
        f"[{100 * cmp_['ci95_low']:+.2f}, {100 * cmp_['ci95_high']:+.2f}], McNemar p = "
        f"{cmp_['mcnemar_p']:.2g} ({cmp_['only_first_right']} vs {cmp_['only_second_right']} "
        "discordant)"
    )


def render(payload: dict[str, Any]) -> str:
    """Markdown table (and notes) of a results payload."""
    rows = []
    for r in payload["methods"]:
        if r.get("accuracy") is None:
            rows.append([r["method"], "failed", "", "", "", "", "", "", ""])
            continue
        chosen = ", ".join(
            f"{k}={v:.3g}"
            for k, v in sorted(r.get("chosen", {}).items())
            if "/" not in k or k.startswith(("weight/", "temperature/", "cross_fitted/"))
        )
        rows.append(
            [
                r["method"],
                f"{r['n_train']:.0f} / {r['n_dev']:.0f}",
                fmt(100 * r["accuracy"], "{:.2f}"),
                fmt(100 * r["macro_f1"], "{:.2f}"),
                fmt(r.get("train_s"), "{:.0f}"),
                fmt(r.get("predict_s"), "{:.1f}"),
                fmt(r["wall_s"], "{:.0f}"),
                fmt(r["peak_rss_mib"], "{:.0f}"),
                chosen or "-",
            ]
        )
    header = [
        "method",
        "train / dev texts",
        "dev acc %",
        "dev macro-F1 %",
        "train s",
        "predict s",
        "job wall s",
        "peak RSS MiB",
        "chosen on validation",
    ]
    lines = [markdown_table(header, rows), ""]
    for r in payload["methods"]:
        for key, value in sorted(r.get("members", {}).items()):
            lines.append(f"- {r['method']}: `{key}` = {value:.4g}")
        for key, value in sorted(r.get("finetune", {}).items()):
            lines.append(f"- {r['method']}: `{key}` = {value:.4g}")
        cmp_ = r.get("blend_vs_best_member")
        if cmp_:
            lines.append(
                f"- {r['method']} vs its best member ({cmp_['best_member']}, as the blend holds it): "
                f"{_paired_text(cmp_)}"
            )
    for cmp_ in payload.get("paired", []):
        lines.append(f"- {cmp_['a']} vs {cmp_['b']} (same dev texts): {_paired_text(cmp_)}")
    m = payload["machine"]
    lines.append(
        f"\nMachine: {m['cpu']}, {m['cores']} cores, load average at the end {m['load_avg']} "
        f"(shared with other jobs), {m['time']}; GPU: {payload.get('gpu') or 'none'}."
    )
    return "\n".join(lines) + "\n"


def write_markdown(payload: dict[str, Any]) -> None:
    """Write the table file and replace the README section between the markers."""
    text = render(payload)
    TABLE.write_text(text, encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    if BEGIN in readme and END in readme:
        head, rest = readme.split(BEGIN, 1)
        README.write_text(
            head + BEGIN + "\n" + text + END + rest.split(END, 1)[1], encoding="utf-8"
        )
    print(text)


def merge_results(previous: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` (this invocation's rows) merged into the results file's ``previous`` content.

    Rows of methods not run now are kept, and so are the recorded ``--paired`` comparisons,
    except those that involve a method run now (its predictions changed).
    """
    mine = {r["method"] for r in payload["methods"]}
    kept = [r for r in previous.get("methods", []) if r["method"] not in mine]
    paired = [c for c in previous.get("paired", []) if not {c["a"], c["b"]} & mine]
    return {**payload, "methods": kept + payload["methods"], "paired": paired}


def gpu_name() -> str | None:
    """The CUDA device's name, or ``None``."""
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def main() -> None:
    """Run the methods one after another, writing the JSON after each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS))
    parser.add_argument("--cache", type=Path, default=REPO / ".cache")
    parser.add_argument("--override", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--keep", action="store_true", help="keep the job folders")
    parser.add_argument("--tag", default="", help="suffix of the method names in the results")
    parser.add_argument("--markdown-only", action="store_true", help="re-render the JSON")
    parser.add_argument(
        "--paired",
        nargs=2,
        metavar=("A", "B"),
        help="compare two results rows run with --keep, paired on dev, and record it",
    )
    args = parser.parse_args()
    if args.markdown_only:
        write_markdown(json.loads(RESULTS.read_text(encoding="utf-8")))
        return
    if args.paired:
        payload = json.loads(RESULTS.read_text(encoding="utf-8"))
        cmp_ = paired_runs(payload["methods"], *args.paired)
        others = [c for c in payload.get("paired", []) if (c["a"], c["b"]) != tuple(args.paired)]
        payload["paired"] = [*others, cmp_]
        write_json(RESULTS, payload)
        write_markdown(payload)
        return
    thucnews_or_skip()
    payload: dict[str, Any] = {"machine": machine(), "gpu": gpu_name(), "methods": []}
    names = [n.strip() for n in args.methods.split(",") if n.strip()]
    for name in names:
        row = run_method(name, args.cache, args.override, args.keep)
        row["method"] = name + args.tag
        row["overrides"] = list(args.override)
        payload["methods"].append(row)
        if payload["gpu"]:
            print(f"GPU {payload['gpu']}: fine-tuning {row.get('finetune', {})}", flush=True)
        # re-read before writing: rows of other methods (or of a concurrent run) are kept
        previous = json.loads(RESULTS.read_text("utf-8")) if RESULTS.is_file() else {}
        write_json(RESULTS, merge_results(previous, {**payload, "machine": machine()}))
    write_markdown(json.loads(RESULTS.read_text("utf-8")))


if __name__ == "__main__":
    main()

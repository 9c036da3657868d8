"""Compare two arms of a stability sweep, paired by job seed and pair of refits.

    python scripts/stability_paired.py --tracking-uri sqlite:///mlruns/sweep6.db \
        --a topic_model.consensus.n_models=5 topic_model.consensus.out_of_bag=neighbours \
        --b topic_model.consensus.n_models=7 topic_model.consensus.out_of_bag=neighbours

Reads the latest sweep of ``--experiment`` (default ``thucnews-topics-validation``) in each
``--tracking-uri`` (several: a sweep split by seed or by arm over several stores), takes the
finished jobs whose params match each arm, pairs them by ``seed`` and compares their
``topics/stability_pairs.csv`` with :func:`topics.evaluation.refit_comparison.compare_refits`
(a bootstrap over the refits within each seed). Prints one line per metric. ``KEY=<unset>``
matches runs without that param (logged before the key existed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile

import pandas as pd

#: An arm value matching runs that have no such param (logged before the key existed).
UNSET = "<unset>"


def _parse(pairs: list[str]) -> dict[str, str]:
    out = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"arm condition {item!r} is not KEY=VALUE; e.g. seed=1")
        out[key] = value
    return out


def _arm_pairs(
    runs: pd.DataFrame, where: dict[str, str], uri: str | None
) -> dict[int, pd.DataFrame]:
    from mlflow.artifacts import download_artifacts

    chosen = runs[runs.status == "FINISHED"]
    for key, value in where.items():
        column = f"params.{key}"
        if value == UNSET:  # a run from before the key existed, or one that never set it
            chosen = chosen[chosen[column].isna()] if column in chosen else chosen
            continue
        # a store without the param has no run of this arm (main() reports an empty arm)
        chosen = chosen[chosen[column] == value] if column in chosen else chosen.iloc[:0]
    out: dict[int, pd.DataFrame] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _, run in chosen.iterrows():
            seed = int(run["params.seed"])
            if seed in out:
                raise SystemExit(f"two runs match {where} with seed {seed}; narrow the arm")
            path = download_artifacts(
                run_id=run.run_id,
                artifact_path="topics/stability_pairs.csv",
                dst_path=tmp,
                tracking_uri=uri,
            )
            out[seed] = pd.read_csv(path)
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the paired differences ``b - a`` of the pairwise refit scores."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracking-uri", nargs="+", default=[None])
    parser.add_argument("--experiment", default="thucnews-topics-validation")
    parser.add_argument("--a", nargs="+", required=True, metavar="KEY=VALUE")
    parser.add_argument("--b", nargs="+", required=True, metavar="KEY=VALUE")
    parser.add_argument("--metrics", nargs="+", default=["ari", "ari_clustered"])
    parser.add_argument("--n-boot", type=int, default=2000)
    args = parser.parse_args(argv)
    from topics.evaluation.refit_comparison import compare_refits
    from topics.results import latest_sweep_runs

    a: dict[int, pd.DataFrame] = {}
    b: dict[int, pd.DataFrame] = {}
    for uri in args.tracking_uri:
        runs = latest_sweep_runs(args.experiment, uri)
        for arm, where in ((a, args.a), (b, args.b)):
            found = _arm_pairs(runs, _parse(where), uri)
            if set(found) & set(arm):
                raise SystemExit(f"seed(s) {sorted(set(found) & set(arm))} are in two stores")
            arm.update(found)
    for arm, where in ((a, args.a), (b, args.b)):
        if not arm:
            raise SystemExit(
                f"no finished run of the sweep(s) matches {' '.join(where)}; check each KEY "
                f"(a param's full name, as in MLflow) and VALUE ({UNSET}: a param never set)"
            )
    print(f"a: {' '.join(args.a)}\nb: {' '.join(args.b)}\nseeds: {sorted(a)}")
    for metric in args.metrics:
        c = compare_refits(a, b, metric, n_boot=args.n_boot)
        seeds = ", ".join(f"{s}: {d:+.3f}" for s, d in c.per_seed.items())
        print(
            f"{metric}: a {c.mean_a:.3f}, b {c.mean_b:.3f}, b - a {c.difference:+.3f} "
            f"[{c.ci_low:+.3f}, {c.ci_high:+.3f}] over {c.n_pairs} pairs; per seed {seeds}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

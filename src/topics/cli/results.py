"""`topics-results`: print (or write into an experiment README) a results table from MLflow."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from topics.results import (
    DEFAULT_METRICS,
    latest_sweep_runs,
    results_table,
    to_markdown,
    update_readme,
)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``topics-results``."""
    parser = argparse.ArgumentParser(prog="topics-results", description=__doc__)
    parser.add_argument("experiment", help="MLflow experiment name (e.g. embedding-backends)")
    parser.add_argument(
        "--tracking-uri",
        default=os.environ.get("MLFLOW_TRACKING_URI")
        or f"sqlite:///{Path.cwd() / 'mlruns' / 'mlflow.db'}",
    )
    parser.add_argument("--metrics", nargs="+", default=list(DEFAULT_METRICS))
    parser.add_argument(
        "--params",
        nargs="+",
        default=None,
        help="params to show (default: those that differ between the runs)",
    )
    parser.add_argument("--readme", type=Path, help="write the table into this README's markers")
    args = parser.parse_args(argv)
    try:
        runs = latest_sweep_runs(args.experiment, args.tracking_uri)
    except LookupError as err:
        print(f"topics-results: {err}", file=sys.stderr)
        return 2
    markdown = to_markdown(results_table(runs, args.metrics, args.params))
    if args.readme:
        command = "topics-results " + " ".join(
            shlex.quote(a)
            for a in (argv or sys.argv[1:])
            if "tracking-uri" not in a and "sqlite:" not in a
        )
        update_readme(args.readme, markdown, command)
        print(f"wrote {len(runs)} runs into {args.readme}")
    else:
        print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())

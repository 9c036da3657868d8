"""`topics-predict`: tag new texts with themes (and their nearest topic) using a logged model.

Texts come as arguments, one per line on standard input (or ``-``), or from ``--file`` (one text
per line). The model is the ``theme_model`` of a run: ``--model-uri runs:/<run id>/theme_model``
or a model folder; by default the latest run of ``--experiment`` in the local store that has one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd


def _texts(args: argparse.Namespace) -> list[str]:
    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise SystemExit(f"topics-predict: --file {path} does not exist")
        from topics.data.encoding import read_text

        return [line.strip() for line in read_text(path)[0].splitlines() if line.strip()]
    if args.texts and args.texts != ["-"]:
        return list(args.texts)
    return [line.strip() for line in sys.stdin if line.strip()]


def _latest_model_uri(tracking_uri: str, experiment: str) -> str:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    exp = client.get_experiment_by_name(experiment)
    runs = (
        []
        if exp is None
        else client.search_runs(
            [exp.experiment_id],
            "attributes.status = 'FINISHED'",
            order_by=["attributes.start_time DESC"],
            max_results=50,
        )
    )
    for run in runs:
        uri = run.data.tags.get("themes/model_uri")
        if uri:
            return uri
    raise SystemExit(
        f"topics-predict: no run of experiment {experiment!r} at {tracking_uri} has a "
        "theme model; run `topics-run` first or pass --model-uri"
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``topics-predict``."""
    parser = argparse.ArgumentParser(
        prog="topics-predict",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("texts", nargs="*", help="texts to tag (default: read standard input)")
    parser.add_argument("--file", help="a text file, one text per line")
    parser.add_argument("--model-uri", help="runs:/<run id>/theme_model, models:/..., or a folder")
    parser.add_argument("--experiment", default="topics-seeds")
    parser.add_argument(
        "--tracking-uri",
        default=os.environ.get("MLFLOW_TRACKING_URI")
        or f"sqlite:///{Path.cwd() / 'mlruns' / 'mlflow.db'}",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args(argv)
    texts = _texts(args)
    if not texts:
        print(
            "topics-predict: no texts given (arguments, --file or standard input)", file=sys.stderr
        )
        return 2
    import mlflow

    from topics.tracking.uri import scoped_tracking_uri

    uri = args.model_uri or _latest_model_uri(args.tracking_uri, args.experiment)
    with scoped_tracking_uri(args.tracking_uri):  # leaves no global state behind
        model = mlflow.pyfunc.load_model(uri)
    out = model.predict(pd.DataFrame({"text": texts}))
    prob_cols = [c for c in out.columns if c.startswith("p_")]
    for row in out.to_dict("records"):
        themes = {c[2:]: round(row[c], 3) for c in prob_cols}
        if args.json:
            print(
                json.dumps(
                    {
                        "text": row["text"],
                        "themes": row["themes"].split(",") if row["themes"] else [],
                        "probabilities": themes,
                        "topic": row["topic"],
                        "topic_label": row["topic_label"],
                    },
                    ensure_ascii=False,
                )
            )
        else:
            top = ", ".join(
                f"{k} {v:.2f}" for k, v in sorted(themes.items(), key=lambda kv: -kv[1])[:3]
            )
            print(
                f"{row['text'][:60]}\n  themes: {row['themes'] or '(none)'}   [{top}]\n"
                f"  topic {row['topic']}: {row['topic_label']} (cosine {row['topic_similarity']:.2f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
